"""``sdsetup up``: install the managed env when it needs it, then start the web UI."""

from __future__ import annotations

import argparse

from sdsetup.commands.install import add_install_arguments, render_outcome, request_from, say
from sdsetup.i18n import t
from sdsetup.install.pipeline import install
from sdsetup.launch import add_launch_arguments, check_ui_arguments, forwarded_args, launch_ui

ORDER = 25


def register(subparsers) -> None:
    parser = subparsers.add_parser("up", help=t("install.cmd_up"), description=t("install.desc_up"))
    add_install_arguments(parser)
    add_launch_arguments(parser)
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace, ctx) -> int:
    check_ui_arguments(args)
    outcome = install(ctx.home, request_from(args), say)
    say(render_outcome(outcome))
    # The UI runs in the env just installed, whatever --python built it.
    return launch_ui(ctx.home, host=args.host, port=args.port,
                     extra_args=forwarded_args(args, ctx.lang), open_browser=not args.no_browser,
                     lang=ctx.lang)
