"""``sdsetup up``: install the managed env when it needs it, then start the web UI."""

from __future__ import annotations

import argparse

from sdsetup.commands.install import add_install_arguments, render_outcome, request_from, say
from sdsetup.i18n import t
from sdsetup.install import install
from sdsetup.launch import launch_ui

ORDER = 25


def register(subparsers) -> None:
    parser = subparsers.add_parser("up", help=t("install.cmd_up"), description=t("install.desc_up"))
    add_install_arguments(parser)
    parser.add_argument("--host", default="127.0.0.1", help=t("install.opt_host"))
    parser.add_argument("--port", type=int, default=7860, help=t("install.opt_port"))
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace, ctx) -> int:
    outcome = install(ctx.home, request_from(args), say)
    say(render_outcome(outcome))
    return launch_ui(ctx.home, host=args.host, port=args.port, lang=ctx.lang)
