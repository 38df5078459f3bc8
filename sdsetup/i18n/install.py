"""Messages of the install domain. Keys are prefixed `install.`; both languages must be complete."""

EN: dict[str, str] = {}

ZH: dict[str, str] = {}
