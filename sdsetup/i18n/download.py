"""Messages of the download domain. Keys are prefixed `download.`; both languages must be complete."""

EN: dict[str, str] = {}

ZH: dict[str, str] = {}
