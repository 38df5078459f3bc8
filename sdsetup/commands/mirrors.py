"""``sdsetup mirrors``: the known mirrors, and with --probe which one is best for each role."""

from __future__ import annotations

import argparse
import json
from urllib.parse import urlsplit

from sdsetup.i18n import t
from sdsetup.mirrors.probe import ProbeResult, probe_and_remember
from sdsetup.mirrors.config import DEFAULT, load_mirrors, Mirror, PACKAGES, select
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


def _roles(mirror: Mirror) -> str:
    """What each role uses, short: packages / torch layout / models host."""
    if mirror.from_pip_config:
        packages = t("install.role_pip_config" if mirror.name == DEFAULT else "install.role_default")
    else:
        packages = t("install.role_own")
    torch = t("install.role_in_packages") if mirror.torch_layout == PACKAGES else mirror.torch_layout
    models = urlsplit(mirror.huggingface).hostname if mirror.huggingface else "-"
    return f"{packages} / {torch} / {models}"


def _measured(results: list[ProbeResult], name: str) -> str:
    parts = []
    for r in (r for r in results if r.mirror == name):
        if not r.ok:
            parts.append(f"{r.role} {t('install.probe_failed')}")
        elif r.miss:
            parts.append(f"{r.role} {t('install.probe_miss', host=r.final_host)}")
        else:
            speed = f" {r.speed_bps / 1e6:.1f} MB/s" if r.speed_bps else ""
            parts.append(f"{r.role} {r.latency_s * 1000:.0f} ms{speed}")
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
    show(f"{t('install.col_name'):<10} {t('install.col_roles'):<36} {t('install.col_description')}")
    for m in chosen:
        line = f"{m.name:<10} {_roles(m):<36} {m.display_name(ctx.lang)}"
        measured = _measured(results, m.name)
        show(line + (f"\n{'':<10} {measured}" if measured else ""))
    if choice:
        show(t("install.probe_chosen" if args.probe else "install.remembered", **choice,
               since=remembered_since(ctx.home)))
    return 0
