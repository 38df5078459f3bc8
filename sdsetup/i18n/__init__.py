"""The one message catalogue: every user-facing string, in ``en`` and ``zh_CN``.

Each domain keeps its messages in a module of this package (``EN`` and ``ZH`` dicts); they are
merged here into one catalogue. ``tests/test_i18n.py`` checks that both languages have every key
with the same placeholders, and that no two domains define the same key.
"""

from __future__ import annotations

import importlib
import locale
import os
from collections.abc import Mapping
from typing import Any

LANGUAGES = ("en", "zh_CN")
_DOMAINS = ("core", "doctor", "download", "install", "models", "run")


def _load() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for name in _DOMAINS:
        module = importlib.import_module(f"sdsetup.i18n.{name}")
        for lang, table in (("en", module.EN), ("zh_CN", module.ZH)):
            clash = merged[lang].keys() & table.keys()
            if clash:
                raise RuntimeError(f"message keys defined twice: {sorted(clash)}")
            merged[lang].update(table)
    return merged


CATALOGUE: Mapping[str, Mapping[str, str]] = _load()
_current = "en"


def normalise(lang: str) -> str:
    """Map user spellings (zh, zh-CN, zh_CN.UTF-8, en_US…) to a catalogue language."""
    return "zh_CN" if lang.lower().replace("-", "_").startswith("zh") else "en"


def detect_language(environ: Mapping[str, str] | None = None) -> str:
    """The language the locale asks for: LC_ALL, LC_MESSAGES, LANG, then the OS default."""
    env = os.environ if environ is None else environ
    for var in ("SDSETUP_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(var):
            return normalise(env[var])
    if environ is None:
        code = locale.getlocale()[0] or ""
        return normalise(code)
    return "en"


def set_language(lang: str) -> None:
    global _current
    _current = normalise(lang)


def language() -> str:
    return _current


def t(key: str, lang: str | None = None, **params: Any) -> str:
    """The message ``key`` in the current (or given) language, formatted with ``params``."""
    table = CATALOGUE[lang or _current]
    return table[key].format(**params) if params else table[key]
