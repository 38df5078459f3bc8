"""Which mirrors this run uses: --mirror, SDSETUP_MIRROR, the remembered probe, or the default."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from sdsetup.home import Home
from sdsetup.mirrors.config import AUTO, DEFAULT, Mirror, load_mirrors, select
from sdsetup.mirrors.memory import remembered_choice
from sdsetup.mirrors.probe import probe_and_remember


def requested_spec(requested: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The --mirror value, else SDSETUP_MIRROR, else default.

    A remembered probe is used only when ``auto`` is asked for: remembering must never turn a
    working default into something else behind the user's back.
    """
    env = os.environ if environ is None else environ
    return requested or env.get("SDSETUP_MIRROR") or DEFAULT


def mirror_chain(home: Home, requested: str | None, probe_timeout: float = 8.0) -> tuple[Mirror, ...]:
    """The mirrors to use, in failover order (``auto`` probes first when nothing is remembered)."""
    spec = requested_spec(requested)
    mirrors = load_mirrors(home)
    remembered = remembered_choice(home)
    if AUTO in spec.split(",") and not remembered:
        remembered, _ = probe_and_remember(home, list(mirrors.values()), timeout=probe_timeout)
    return select(spec, mirrors, remembered)


def chosen_mirror(home: Home, requested: str | None) -> Mirror:
    """The first mirror of the chain: what the models downloader takes its endpoints from."""
    return mirror_chain(home, requested)[0]


def retry_hint(failed: Iterable[str]) -> str:
    """The hint after a source of the mirrors named ``failed`` let an install down: the other way.

    A remembered probe is used only by ``auto``, so ``sdsetup mirrors --probe`` alone changes
    nothing for a named mirror or ``default``: those are told to try ``auto`` (which measures first
    when nothing is remembered); a failing ``auto`` is told to use the sources pip is set up with.
    """
    return "install.hint_mirror_default" if AUTO in failed else "install.hint_other_mirror"
