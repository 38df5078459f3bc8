"""``sdsetup run``: the bundled generation UI and A1111-compatible API (see :mod:`sdsetup.launch`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sdsetup.errors import UsageError
from sdsetup.i18n import normalise, t
from sdsetup.launch import add_ui_arguments, forwarded_args, launch_ui

ORDER = 30


def register(subparsers) -> None:
    parser = subparsers.add_parser("run", help=t("run.help"), description=t("run.description"))
    add_ui_arguments(parser)
    parser.add_argument("--python", metavar="PATH", type=Path, help=t("run.opt_python"))
    # SUPPRESS keeps the global --lang (given before "run") from being reset to None here.
    parser.add_argument("--lang", choices=("en", "zh", "zh_CN"), default=argparse.SUPPRESS,
                        help=t("core.opt_lang"))
    parser.add_argument("--no-browser", action="store_true", help=t("run.opt_no_browser"))
    parser.set_defaults(func=handle)


def _check_auth(option: str, value: str | None) -> None:
    if value is None:
        return
    for pair in value.split(","):
        user, sep, password = pair.partition(":")
        if not (sep and user.strip() and password):
            raise UsageError("run.bad_auth", hint="run.hint_auth", option=option, value=value)


def handle(args, ctx) -> int:
    _check_auth("--api-auth", args.api_auth)
    _check_auth("--gradio-auth", args.gradio_auth)
    lang = normalise(getattr(args, "lang", None) or ctx.lang)
    return launch_ui(ctx.home, python=args.python, host=args.host, port=args.port,
                     extra_args=forwarded_args(args, lang), open_browser=not args.no_browser,
                     lang=lang)
