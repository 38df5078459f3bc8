from sdsetup.cli import main

raise SystemExit(main())
