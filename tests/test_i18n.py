"""The catalogue is complete in both languages, with matching placeholders."""

import string

from sdsetup.i18n import CATALOGUE, detect_language


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_every_key():
    assert CATALOGUE["en"].keys() == CATALOGUE["zh_CN"].keys()


def test_placeholders_match_across_languages():
    mismatched = [
        key
        for key, text in CATALOGUE["en"].items()
        if _fields(text) != _fields(CATALOGUE["zh_CN"][key])
    ]
    assert mismatched == []


def test_keys_are_prefixed_by_their_domain():
    import importlib

    for domain in ("core", "doctor", "download", "install", "models", "run"):
        module = importlib.import_module(f"sdsetup.i18n.{domain}")
        assert all(key.startswith(domain + ".") for key in module.EN), domain


def test_language_follows_the_locale():
    assert detect_language({"LANG": "zh_CN.UTF-8"}) == "zh_CN"
    assert detect_language({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert detect_language({"SDSETUP_LANG": "zh"}) == "zh_CN"
    assert detect_language({}) == "en"
