"""``sdsetup doctor``: machine facts, the torch variant choice, the managed env's health, log diagnosis."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sdsetup.doctor import DoctorInput, failed, run_checks
from sdsetup.doctor_render import render_text, report_json
from sdsetup.envprobe import probe_env
from sdsetup.facts import gather_facts
from sdsetup.i18n import t
from sdsetup.logdiag import diagnose, read_log
from sdsetup.torch_backend import choose_variant, parse_variant, variant_from_env

ORDER = 10
# All machine probes together; a hung nvidia-smi is killed at this point, so that with Python's
# start-up the doctor still answers within about 2 s.
PROBE_TIMEOUT = 1.5
ENV_TIMEOUT = 120.0  # importing torch from a cold disk plus a CUDA context can take a minute


def register(subparsers) -> None:
    parser = subparsers.add_parser("doctor", help=t("doctor.help"),
                                   description=t("doctor.description"))
    parser.add_argument("--json", action="store_true", help=t("doctor.opt_json"))
    parser.add_argument("--log", metavar="FILE", type=Path, help=t("doctor.opt_log"))
    parser.add_argument("--variant", metavar="VARIANT", help=t("doctor.opt_variant"))
    parser.set_defaults(func=handle)


def handle(args, ctx) -> int:
    # Read the inputs the user named first, so a typo fails before any probing.
    override = (parse_variant(args.variant) if args.variant is not None
                else variant_from_env(os.environ))
    log = diagnose(read_log(args.log)) if args.log else ()
    facts = gather_facts(ctx.home, PROBE_TIMEOUT)
    choice = choose_variant(facts, override=override)
    python = ctx.home.env_python()
    env = probe_env(python, choice.device, ENV_TIMEOUT) if python.exists() else None
    report = DoctorInput(ctx.home, facts, choice, env, log)
    checks = run_checks(report)
    if args.json:
        print(json.dumps(report_json(report, checks), ensure_ascii=False, indent=2))
    else:
        print(render_text(report, checks))
    return 1 if failed(checks) else 0
