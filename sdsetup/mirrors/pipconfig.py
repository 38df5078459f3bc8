"""What pip itself is configured with: the ``default`` mirror's package sources, asked of pip.

The pure half reads pip's merged configuration items into :class:`PackageSources`; the side
effect asks the interpreter's pip in a bounded subprocess.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from sdsetup.bounded import run_bounded
from sdsetup.i18n import t
from sdsetup.mirrors.config import Mirror, MirrorError, PackageSources, is_url

PIP_SECTIONS = (":env:", "install", "global")
"""The ``pip config list`` sections sdsetup honours, most binding first, as ``pip install`` does.

pip merges its files before printing (``PIP_*`` variables beat ``PIP_CONFIG_FILE``, which beats the
site file, then the user file, then the global one), so each ``section.option`` key appears once;
what is left is the section: ``:env:`` (``PIP_*`` variables) over the command's own section
(``install``: sdsetup fetches what ``pip install`` would) over ``[global]``. Other sections
(``download``, ``list``…) do not apply to an install and are ignored, as pip ignores them.
"""
_TRUE = ("1", "true", "yes", "on", "y", "t")


def sources_from_pip_config(items: Mapping[str, str], default_index: str) -> PackageSources:
    """Index URLs and find-links locations, as ``pip install`` would use them, from pip's config.

    ``items`` are ``pip config list``'s keys and values (``install.index-url``,
    ``:env:.find-links``…); see :data:`PIP_SECTIONS` for which one wins. Empty values are
    ignored, as pip ignores them. ``no-index`` drops the indexes but keeps find-links. This is the
    one reading of pip's configuration: the ``default`` mirror uses it, and so does ``doctor``.
    """

    def value(option: str) -> str | None:
        for section in PIP_SECTIONS:
            found = items.get(f"{section}.{option}")
            if isinstance(found, str) and found.strip():
                return found.strip()
        return None

    def many(option: str) -> list[str]:
        return (value(option) or "").split()

    no_index = (value("no-index") or "").lower() in _TRUE
    indexes = [] if no_index else [value("index-url") or default_index, *many("extra-index-url")]
    links = [link if is_url(link) else Path(link).absolute().as_uri() for link in many("find-links")]
    return PackageSources(tuple(dict.fromkeys(indexes)), tuple(dict.fromkeys(links)))


def parse_pip_config_list(output: str) -> dict[str, str]:
    """``pip config list`` prints ``section.option='value'`` lines; other lines are skipped."""
    items = {}
    for line in output.splitlines():
        key, sep, raw = line.partition("=")
        section, dot, option = key.strip().rpartition(".")
        if sep and dot and section and option:
            items[key.strip()] = raw.strip().strip("'\"")
    return items


def read_pip_answer(output: str) -> tuple[dict[str, str], str]:
    """(config items, pip's default index) from what :data:`_PIP_QUERY` printed; ValueError if absent.

    pip may print warnings around it (stderr is merged), so the answer is the marked line.
    """
    line = next((l for l in reversed(output.splitlines()) if l.startswith(_PIP_MARK)), None)
    if line is None:
        raise ValueError(output.strip()[-300:] or "no answer")
    answer = json.loads(line[len(_PIP_MARK):])
    if not isinstance(answer, dict) or not isinstance(answer.get("default_index"), str):
        raise ValueError("unexpected answer")
    items = answer.get("items")
    if not isinstance(items, dict):
        items = parse_pip_config_list(str(answer.get("config") or ""))
    return {str(k): str(v) for k, v in items.items()}, answer["default_index"]


# --------------------------------------------------------------------------- side effects

_PIP_MARK = "sdsetup-pip-config "
_PIP_QUERY = (
    # pip's own merged configuration, as `pip config list` prints it; that command as a fallback.
    "import json, subprocess, sys\n"
    "from pip._internal.models.index import PyPI\n"
    "items, out = None, ''\n"
    "try:\n"
    "    from pip._internal.configuration import Configuration\n"
    "    c = Configuration(isolated=False)\n"
    "    c.load()\n"
    # pip <= 26.2 yields (key, value); 26.3 yields (file, {key: value}) in override order
    "    items = {}\n"
    "    for k, v in c.items():\n"
    "        items.update({str(a): str(b) for a, b in v.items()} if isinstance(v, dict) else {k: str(v)})\n"
    "except Exception:\n"
    "    out = subprocess.run([sys.executable, '-m', 'pip', 'config', 'list'],"
    " capture_output=True, text=True).stdout\n"
    f"print({_PIP_MARK!r} + json.dumps({{'default_index': PyPI.simple_url, 'items': items,"
    " 'config': out}))\n"
)
PIP_TIMEOUT = 60.0


def pip_package_sources(python: str | None = None, environ: Mapping[str, str] | None = None,
                        timeout: float = PIP_TIMEOUT) -> PackageSources:
    """What pip is configured with on this machine, asked of pip itself (never written down).

    The child (and anything it starts) is killed if it overruns ``timeout``.
    """
    exe = python or sys.executable
    try:
        done = run_bounded([exe, "-c", _PIP_QUERY], timeout,
                           env=dict(os.environ if environ is None else environ))
    except OSError as err:
        raise MirrorError("install.pip_config_unreadable", hint="install.hint_pip_config",
                          detail=f"{exe}: {err.strerror or err}") from err
    if done.timed_out:
        raise MirrorError("install.pip_config_unreadable", hint="install.hint_pip_config",
                          detail=t("install.pip_config_timeout", seconds=round(timeout)))
    try:
        items, default_index = read_pip_answer(done.stdout)
    except ValueError as err:
        raise MirrorError("install.pip_config_unreadable", hint="install.hint_pip_config",
                          detail=str(err)) from err
    return sources_from_pip_config(items, default_index)


def package_sources(mirror: Mirror) -> PackageSources:
    return pip_package_sources() if mirror.from_pip_config else PackageSources(mirror.pypi)
