"""``sdsetup mirror export DIR``: the wheel cache as a static PEP 503 index for a lab or a USB disk."""

from __future__ import annotations

import argparse
from pathlib import Path

from sdsetup.errors import SdsetupError
from sdsetup.i18n import t
from sdsetup.install.pipeline import WHEELS
from sdsetup.units import human_size
from sdsetup.install.wheelhouse import export

ORDER = 65


def register(subparsers) -> None:
    parser = subparsers.add_parser("mirror", help=t("install.cmd_mirror"),
                                   description=t("install.desc_mirror"))
    actions = parser.add_subparsers(dest="action", metavar="<action>", required=True)
    exporting = actions.add_parser("export", help=t("install.cmd_export"),
                                   description=t("install.desc_export"))
    exporting.add_argument("dest", metavar="DIR", type=Path, help=t("install.opt_export_dir"))
    exporting.set_defaults(func=handle_export)


def handle_export(args: argparse.Namespace, ctx) -> int:
    wheels = ctx.home.cache_dir / WHEELS
    if not any(wheels.glob("*.whl")):
        raise SdsetupError("install.export_empty", hint="install.hint_install", cache=str(wheels))
    done = export(wheels, args.dest.expanduser().absolute())
    print(t("install.exported", files=done.files, projects=done.projects, size=human_size(done.size),
            dest=str(args.dest)))
    return 0
