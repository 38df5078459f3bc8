"""Command-line entry point: global options, dispatch, and the one place errors are rendered.

Each command lives in a module of :mod:`sdsetup.commands` exposing ``ORDER`` (its place in
``--help``) and ``register(subparsers)``, which adds its parser and sets ``func(args, ctx) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from sdsetup import __version__, commands
from sdsetup.errors import SdsetupError, UsageError
from sdsetup.home import Home, resolve_home
from sdsetup.i18n import detect_language, language, normalise, set_language, t
from sdsetup.redact import redact_userinfo


@dataclass(frozen=True)
class Context:
    """What every command receives besides its own arguments."""

    home: Home
    lang: str


class Parser(argparse.ArgumentParser):
    """argparse that reports usage errors through sdsetup's renderer (exit 2, with a hint)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError("core.usage", hint="core.hint_help", message=message, prog=self.prog)


_GLOBAL_WITH_VALUE = ("--home", "--lang")


def _named_command(argv: Sequence[str]) -> str | None:
    """The command word of ``argv`` (``sdsetup [--home D] [--lang L] <command> …``), if any."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _GLOBAL_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            return arg
        elif not arg.startswith(tuple(name + "=" for name in _GLOBAL_WITH_VALUE)):
            return None  # -h, --version or a typo: the full parser answers
    return None


def _command_modules(argv: Sequence[str] = ()) -> list:
    """Every command module, or only the one ``argv`` names: start-up then imports just its code."""
    names = [info.name for info in pkgutil.iter_modules(commands.__path__)]
    wanted = _named_command(argv)
    if wanted in names:
        names = [wanted]
    found = [importlib.import_module(f"{commands.__name__}.{name}") for name in names]
    return sorted(found, key=lambda module: module.ORDER)


def build_parser(argv: Sequence[str] = ()) -> Parser:
    parser = Parser(prog="sdsetup", description=t("core.description"))
    parser.add_argument("--version", action="version", version=f"sdsetup {__version__}")
    parser.add_argument("--home", metavar="DIR", help=t("core.opt_home"))
    parser.add_argument("--lang", choices=("en", "zh", "zh_CN"), help=t("core.opt_lang"))
    sub = parser.add_subparsers(dest="command", metavar="<command>", parser_class=Parser)
    for module in _command_modules(argv):
        module.register(sub)
    return parser


def _language_from_argv(argv: Sequence[str]) -> str | None:
    """``--lang`` must be known before the parser is built, since its help text is translated."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def render_error(err: SdsetupError) -> str:
    lines = [t("core.error_prefix") + " " + t(err.key, **err.params)]
    if err.hint:
        lines.append(t("core.hint_prefix") + " " + t(err.hint, **err.params))
    return redact_userinfo("\n".join(lines))


def render_warning(err: SdsetupError) -> str:
    """A problem that does not stop the command: ``warning: …`` (and its hint, if any)."""
    lines = [t("core.warning_prefix") + " " + t(err.key, **err.params)]
    if err.hint:
        lines.append(t("core.hint_prefix") + " " + t(err.hint, **err.params))
    return redact_userinfo("\n".join(lines))


def _os_error(err: OSError) -> SdsetupError:
    """A file-system or pipe failure nobody anticipated still gets words, not a traceback."""
    path = err.filename or ""
    return SdsetupError("core.os_error", hint="core.hint_os_error" if path else None,
                        path=path, detail=err.strerror or str(err))


def _tolerant_streams() -> None:
    """A console that cannot show a character (GBK, cp437) gets a replacement, not a crash."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _tolerant_streams()
    set_language(_language_from_argv(argv) or detect_language())
    try:
        parser = build_parser(argv)
        args = parser.parse_args(argv)
        if args.lang:
            set_language(normalise(args.lang))
        if not args.command:
            parser.print_help()
            return 2
        ctx = Context(home=resolve_home(args.home, os.environ), lang=language())
        return int(args.func(args, ctx) or 0)
    except SdsetupError as err:
        print(render_error(err), file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print(t("core.interrupted"), file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (``| head``) went away: nothing left to say, and nobody to say it to.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:
        print(render_error(_os_error(err)), file=sys.stderr)
        return 1
