"""``sdsetup install``: build the managed env from the locks, through the chosen mirrors."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sdsetup.i18n import t
from sdsetup.install.pipeline import INSTALLERS, Outcome, Request, install, make_plan, prepare
from sdsetup.install.plan import Plan
from sdsetup.redact import redact_userinfo
from sdsetup.units import human_size

ORDER = 20


def add_install_arguments(parser: argparse.ArgumentParser) -> None:
    """The options ``install`` and ``up`` share."""
    # Also accepted after the command (`sdsetup install --home DIR`); SUPPRESS keeps a --home
    # given before the command from being reset to None.
    parser.add_argument("--home", metavar="DIR", default=argparse.SUPPRESS, help=t("core.opt_home"))
    parser.add_argument("--mirror", metavar="NAME|URL|auto", help=t("install.opt_mirror"))
    parser.add_argument("--variant", metavar="VARIANT", help=t("install.opt_variant"))
    parser.add_argument("--python", metavar="PATH", type=Path, help=t("install.opt_python"))
    parser.add_argument("--lock", metavar="FILE", type=Path, help=t("install.opt_lock"))
    parser.add_argument("--installer", choices=INSTALLERS, default="auto",
                        help=t("install.opt_installer"))


def register(subparsers) -> None:
    parser = subparsers.add_parser("install", help=t("install.cmd_install"),
                                   description=t("install.desc_install"))
    add_install_arguments(parser)
    parser.add_argument("--dry-run", action="store_true", help=t("install.opt_dry_run"))
    parser.add_argument("--json", action="store_true", help=t("install.opt_json"))
    parser.set_defaults(func=handle)


def request_from(args: argparse.Namespace, quiet: bool = False) -> Request:
    return Request(mirror=args.mirror, variant=args.variant, python=args.python, lock=args.lock,
                   installer=args.installer, progress=False if quiet else None)


def say(text: str) -> None:
    print(redact_userinfo(text), file=sys.stderr, flush=True)


def render_plan(plan: Plan) -> str:
    lines = [t("install.plan_header", variant=plan.variant, torch=plan.torch_version,
               python=plan.python, platform=plan.platform)]
    for f in plan.files:
        mirror, url = f.sources[0]
        more = t("install.plan_more", count=len(f.sources) - 1) if len(f.sources) > 1 else ""
        size = human_size(f.size) if f.size is not None else "?"
        lines.append(f"  {f.filename:<70} {size:>10}  {mirror}: {url}{more}")
        lines.append(f"    sha256 {f.sha256 or t('install.plan_sha_any', count=len(f.allowed))}")
    lines.append(t("install.plan_total", count=len(plan.files), size=human_size(plan.known_size),
                   unknown=plan.unknown_sizes))
    return "\n".join(lines)


def render_outcome(outcome: Outcome) -> str:
    report = outcome.report
    key = "install.done_up_to_date" if outcome.status == "up_to_date" else "install.done"
    return t(key, torch=report.torch_version, device=report.device, env=str(outcome.env),
             fetched=outcome.fetched, seconds=outcome.timings.get("total", 0.0),
             installer=outcome.installer)


def handle(args: argparse.Namespace, ctx) -> int:
    request = request_from(args, quiet=args.json)
    if args.dry_run:
        plan = make_plan(prepare(ctx.home, request))
        print(redact_userinfo(json.dumps(plan.to_json(), indent=2) if args.json else render_plan(plan)))
        return 0
    outcome = install(ctx.home, request, say)
    print(redact_userinfo(json.dumps(outcome.to_json(), indent=2, ensure_ascii=False) if args.json
                          else render_outcome(outcome)))
    return 0
