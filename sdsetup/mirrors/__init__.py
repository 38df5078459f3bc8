"""Mirrors: which exist (config), what pip is configured with (pipconfig), which are fastest
(probe), what sdsetup remembers (memory), which this run uses (choice), what doctor says (checks)."""
