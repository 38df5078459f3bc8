"""Messages of the models domain. Keys are prefixed `models.`; both languages must be complete."""

EN: dict[str, str] = {}

ZH: dict[str, str] = {}
