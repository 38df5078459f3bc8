"""``sdsetup run``: the bundled generation UI and A1111-compatible API (see :mod:`sdsetup.launch`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sdsetup.i18n import normalise, t
from sdsetup.launch import add_launch_arguments, check_ui_arguments, forwarded_args, launch_ui

ORDER = 30


def register(subparsers) -> None:
    parser = subparsers.add_parser("run", help=t("run.help"), description=t("run.description"))
    add_launch_arguments(parser)
    parser.add_argument("--python", metavar="PATH", type=Path, help=t("run.opt_python"))
    # SUPPRESS keeps the global --lang (given before "run") from being reset to None here.
    parser.add_argument("--lang", choices=("en", "zh", "zh_CN"), default=argparse.SUPPRESS,
                        help=t("core.opt_lang"))
    parser.set_defaults(func=handle)


def handle(args, ctx) -> int:
    check_ui_arguments(args)
    lang = normalise(getattr(args, "lang", None) or ctx.lang)
    return launch_ui(ctx.home, python=args.python, host=args.host, port=args.port,
                     extra_args=forwarded_args(args, lang), open_browser=not args.no_browser,
                     lang=lang)
