"""What ``doctor`` says about mirrors: the config file, the remembered choice, lazy-cache misses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sdsetup.home import Home
from sdsetup.mirrors.config import MirrorConfigError, load_mirrors, user_mirrors_file
from sdsetup.mirrors.memory import read_misses, remembered_choice, remembered_since


@dataclass(frozen=True)
class MirrorCheck:
    """One finding for ``doctor``: a catalogue key with parameters, and a hint key when not ok."""

    id: str
    ok: bool
    key: str
    params: Mapping[str, Any]
    hint: str | None = None


def mirror_checks(home: Home, environ: Mapping[str, str] | None = None) -> list[MirrorCheck]:
    """What ``doctor`` should say about mirrors: the config file, the choice, lazy-cache misses."""
    try:
        mirrors = load_mirrors(home, environ)
    except MirrorConfigError as err:
        return [MirrorCheck("mirrors.config", False, err.key, err.params, err.hint)]
    own = user_mirrors_file(home, environ)
    checks = [MirrorCheck("mirrors.config", True,
                          "install.check_config_ok" if own.is_file() else "install.check_config_bundled",
                          {"count": len(mirrors), "file": str(own)})]
    choice = remembered_choice(home)
    if choice:
        checks.append(MirrorCheck("mirrors.auto", True, "install.remembered",
                                  {**choice, "since": remembered_since(home)}))
    for name, miss in sorted(read_misses(home).items()):
        checks.append(MirrorCheck(f"mirrors.miss.{name}", False, "install.check_lazy_miss",
                                  {"mirror": name, "count": miss["count"], "host": miss["host"]},
                                  "install.hint_other_mirror"))
    return checks
