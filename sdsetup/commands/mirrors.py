"""``sdsetup mirrors``: the known mirrors, and with --probe which one is best for each role."""

from __future__ import annotations

import argparse
import json
from urllib.parse import urlsplit

from sdsetup.columns import table
from sdsetup.i18n import t
from sdsetup.mirrors.probe import ProbeResult, probe_and_remember
from sdsetup.mirrors.config import load_mirrors, Mirror, OFFICIAL_TORCH, PACKAGES, select
from sdsetup.mirrors.memory import forget_choice, remembered_choice, remembered_since
from sdsetup.redact import redact_userinfo

ORDER = 60


def register(subparsers) -> None:
    parser = subparsers.add_parser("mirrors", help=t("install.cmd_mirrors"),
                                   description=t("install.desc_mirrors"))
    parser.add_argument("names", nargs="*", metavar="NAME", help=t("install.opt_names"))
    parser.add_argument("--probe", action="store_true", help=t("install.opt_probe"))
    parser.add_argument("--variant", default="cpu", help=t("install.opt_variant_probe"))
    parser.add_argument("--forget", action="store_true", help=t("install.opt_forget"))
    parser.add_argument("--json", action="store_true", help=t("install.opt_json"))
    parser.set_defaults(func=handle)


def role_words(mirror: Mirror, official_torch: str | None) -> tuple[str, str, str]:
    """Where this mirror takes packages, torch and models from, in words a new user follows."""
    packages = t("install.from_pip_config" if mirror.from_pip_config else "install.from_own_index")
    if mirror.torch_layout == PACKAGES:
        torch = t("install.torch_with_packages")
    elif mirror.torch == official_torch:
        torch = t("install.torch_official")
    else:
        torch = t(f"install.torch_{mirror.torch_layout}")
    models = (urlsplit(mirror.huggingface).hostname or mirror.huggingface) if mirror.huggingface \
        else "huggingface.co"
    return packages, torch, models


def _measured(results: list[ProbeResult], name: str) -> str:
    parts = []
    for r in (r for r in results if r.mirror == name):
        role = t(f"install.role_{r.role}")
        if not r.ok:
            parts.append(f"{role} {t('install.probe_failed')}")
        elif r.miss:
            parts.append(f"{role} {t('install.probe_miss', host=r.final_host)}")
        else:
            speed = f" {r.speed_bps / 1e6:.1f} MB/s" if r.speed_bps else ""
            parts.append(f"{role} {r.latency_s * 1000:.0f} ms{speed}")
    return ", ".join(parts)


def show(text: str) -> None:
    print(redact_userinfo(text))


def handle(args: argparse.Namespace, ctx) -> int:
    known = load_mirrors(ctx.home)
    chosen = [m for name in args.names for m in select(name, known, None)] if args.names \
        else list(known.values())
    if args.forget:
        show(t("install.forgot" if forget_choice(ctx.home) else "install.nothing_to_forget"))
        return 0
    results: list[ProbeResult] = []
    if args.probe:
        _, results = probe_and_remember(ctx.home, chosen, args.variant)
    choice = remembered_choice(ctx.home)
    if args.json:
        show(json.dumps({
            "mirrors": [{"name": m.name, "name_en": m.name_en, "name_zh": m.name_zh,
                         "pypi": list(m.pypi), "from_pip_config": m.from_pip_config,
                         "torch": m.torch, "torch_layout": m.torch_layout,
                         "huggingface": m.huggingface, "civitai": m.civitai} for m in chosen],
            "probe": [r.to_json() for r in results], "auto": choice,
        }, indent=2, ensure_ascii=False))
        return 0
    official = known[OFFICIAL_TORCH].torch if OFFICIAL_TORCH in known else None
    header = (t("install.col_name"), t("install.col_packages"), t("install.col_torch"),
              t("install.col_models"), t("install.col_description"))
    lines = table([header] + [(m.name, *role_words(m, official), m.display_name(ctx.lang))
                              for m in chosen])
    show(lines[0])
    indent = " " * (max(len(m.name) for m in chosen) + 2) if chosen else ""
    for m, line in zip(chosen, lines[1:]):
        measured = _measured(results, m.name)
        show(line + (f"\n{indent}{measured}" if measured else ""))
    if choice:
        show(t("install.probe_chosen" if args.probe else "install.remembered", **choice,
               since=remembered_since(ctx.home)))
    return 0
