"""One module per command; the CLI discovers them. See :mod:`sdsetup.cli`."""
