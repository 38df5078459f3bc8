"""``sdsetup run``: the bundled generation UI and A1111-compatible API (see :mod:`sdsetup.launch`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sdsetup.errors import UsageError
from sdsetup.i18n import normalise, t
from sdsetup.launch import launch_ui

ORDER = 30


def register(subparsers) -> None:
    parser = subparsers.add_parser("run", help=t("run.help"), description=t("run.description"))
    parser.add_argument("--host", default="127.0.0.1", help=t("run.opt_host"))
    parser.add_argument("--port", type=int, default=7860, help=t("run.opt_port"))
    parser.add_argument("--listen", action="store_true", help=t("run.opt_listen"))
    parser.add_argument("--api-auth", metavar="USER:PASS", help=t("run.opt_api_auth"))
    parser.add_argument("--gradio-auth", metavar="USER:PASS", help=t("run.opt_gradio_auth"))
    parser.add_argument("--models-dir", metavar="DIR", type=Path, help=t("run.opt_models_dir"))
    parser.add_argument("--python", metavar="PATH", type=Path, help=t("run.opt_python"))
    # SUPPRESS keeps the global --lang (given before "run") from being reset to None here.
    parser.add_argument("--lang", choices=("en", "zh", "zh_CN"), default=argparse.SUPPRESS,
                        help=t("core.opt_lang"))
    memory = parser.add_mutually_exclusive_group()
    memory.add_argument("--medvram", action="store_true", help=t("run.opt_medvram"))
    memory.add_argument("--lowvram", action="store_true", help=t("run.opt_lowvram"))
    parser.add_argument("--allow-ckpt", action="store_true", help=t("run.opt_allow_ckpt"))
    parser.add_argument("--nowebui", action="store_true", help=t("run.opt_nowebui"))
    parser.add_argument("--no-browser", action="store_true", help=t("run.opt_no_browser"))
    parser.set_defaults(func=handle)


def _check_auth(option: str, value: str | None) -> None:
    if value is None:
        return
    for pair in value.split(","):
        user, sep, password = pair.partition(":")
        if not (sep and user.strip() and password):
            raise UsageError("run.bad_auth", hint="run.hint_auth", option=option, value=value)


def forwarded_args(args: argparse.Namespace, lang: str) -> list[str]:
    """The ``python -m webui`` options that carry this command's choices."""
    extra = ["--lang", lang]
    for flag in ("listen", "medvram", "lowvram", "allow_ckpt", "nowebui"):
        if getattr(args, flag):
            extra.append("--" + flag.replace("_", "-"))
    for option in ("api_auth", "gradio_auth"):
        if getattr(args, option):
            extra += ["--" + option.replace("_", "-"), getattr(args, option)]
    if args.models_dir:
        extra += ["--models-dir", str(args.models_dir.expanduser().absolute())]
    return extra


def handle(args, ctx) -> int:
    _check_auth("--api-auth", args.api_auth)
    _check_auth("--gradio-auth", args.gradio_auth)
    lang = normalise(getattr(args, "lang", None) or ctx.lang)
    return launch_ui(ctx.home, python=args.python, host=args.host, port=args.port,
                     extra_args=forwarded_args(args, lang), open_browser=not args.no_browser,
                     lang=lang)
