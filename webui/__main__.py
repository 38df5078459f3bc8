"""``python -m webui``: start the UI and API in this (managed) environment.

``sdsetup run`` starts this with the managed env's Python; it can also be run by hand in any env
that has torch, diffusers and gradio, with sdsetup importable.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

# Before gradio, huggingface_hub or diffusers are imported: nothing may call an outside host.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "DIFFUSERS_OFFLINE": "1",
               "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "DO_NOT_TRACK": "1"}
for _key, _value in OFFLINE_ENV.items():
    os.environ.setdefault(_key, _value)

from sdsetup.cli import render_error  # noqa: E402
from sdsetup.errors import SdsetupError  # noqa: E402
from sdsetup.home import resolve_home  # noqa: E402
from sdsetup.i18n import detect_language, normalise, set_language, t  # noqa: E402
from sdsetup.launch import add_ui_arguments  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m webui", description=t("run.description"))
    parser.add_argument("--home", metavar="DIR", help=t("core.opt_home"))
    parser.add_argument("--lang", help=t("core.opt_lang"))
    add_ui_arguments(parser)
    parser.add_argument("--api", action="store_true", help=t("run.opt_api"))
    return parser


def a1111_styles(home_root: Path, models: Path) -> tuple[Path, ...]:
    """An A1111 install's ``styles.csv`` beside the ``models/`` folder given, read as well."""
    theirs = models.parent / "styles.csv"
    return () if models.parent == home_root else (theirs,)


def check_port(host: str, port: int) -> None:
    """Fail with a hint before the slow imports when something (often A1111) holds the port."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        if os.name != "nt":  # as uvicorn does; on Windows it would allow stealing a bound port
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SdsetupError("run.port_busy", hint="run.hint_port", host=host, port=port,
                               next=port + 1, reason=exc.strerror or str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    set_language(detect_language())
    args = build_parser().parse_args(argv)
    lang = normalise(args.lang) if args.lang else detect_language()
    set_language(lang)
    home = resolve_home(args.home)
    log = logging.getLogger("webui")  # load times, compile notices: ours only, not every library's
    log.setLevel(logging.INFO)
    log.addHandler(logging.StreamHandler(sys.stderr))
    if args.compile is not False:  # before torch reads it: kernels compiled once serve every start
        from webui.compile import CACHE_FOLDER, cache_env

        for key, value in cache_env(str(home.cache_dir / CACHE_FOLDER)).items():
            os.environ.setdefault(key, value)
    models = args.models_dir.expanduser().absolute() if args.models_dir else home.models_dir
    host = "0.0.0.0" if args.listen else args.host
    if args.listen and not (args.api_auth and args.gradio_auth):
        print(t("run.listen_warning"), file=sys.stderr)
    try:
        check_port(host, args.port)
        from webui.engine import Engine, Options, Paths
        from webui.runtime import probe_machine
        from webui.server import build_app, serve

        engine = Engine(
            Paths(checkpoints=models / "Stable-diffusion", loras=models / "Lora", vaes=models / "VAE",
                  embeddings=home.embeddings_dir, outputs=home.outputs_dir,
                  hash_cache=home.cache_dir / "model-hashes.json",
                  styles_file=home.root / "styles.csv", more_styles=a1111_styles(home.root, models)),
            probe_machine(), Options(args.medvram, args.lowvram, args.allow_ckpt, args.compile))
        app = build_app(engine, lang, args.api_auth, args.gradio_auth, with_ui=not args.nowebui,
                        flags=vars(args), host=host)
    except SdsetupError as err:
        print(render_error(err), file=sys.stderr)
        return err.exit_code
    print(t("run.ready", url=f"http://{args.host if not args.listen else '0.0.0.0'}:{args.port}/"),
          flush=True)
    serve(app, host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
