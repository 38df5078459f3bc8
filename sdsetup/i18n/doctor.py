"""Messages of the doctor domain. Keys are prefixed `doctor.`; both languages must be complete."""

EN: dict[str, str] = {}

ZH: dict[str, str] = {}
