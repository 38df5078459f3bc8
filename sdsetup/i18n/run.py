"""Messages of the run domain. Keys are prefixed `run.`; both languages must be complete."""

EN: dict[str, str] = {}

ZH: dict[str, str] = {}
