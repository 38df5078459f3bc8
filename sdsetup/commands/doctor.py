"""``sdsetup doctor``: machine facts, the torch variant choice, the managed env's health, log diagnosis."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sdsetup.doctor import DoctorInput, MirrorFacts, failed, run_checks
from sdsetup.doctor_render import render_text, report_json
from sdsetup.envprobe import probe_env
from sdsetup.facts import gather_facts
from sdsetup.home import Home
from sdsetup.i18n import t
from sdsetup.lockfile import installable_releases
from sdsetup.logdiag import diagnose, read_log
from sdsetup.mirrors import MirrorConfigError, MirrorError, mirror_chain, mirror_checks, requested_spec
from sdsetup.torch_backend import Message, choose_for_install, parse_variant, variant_from_env

ORDER = 10
# All machine probes together; a hung nvidia-smi is killed at this point, so that with Python's
# start-up the doctor still answers within about 2 s.
PROBE_TIMEOUT = 1.5
ENV_TIMEOUT = 120.0  # importing torch from a cold disk plus a CUDA context can take a minute
MIRROR_PROBE_TIMEOUT = 2.0  # --mirror auto with nothing remembered: a short look at each mirror


def register(subparsers) -> None:
    parser = subparsers.add_parser("doctor", help=t("doctor.help"),
                                   description=t("doctor.description"))
    parser.add_argument("--json", action="store_true", help=t("doctor.opt_json"))
    parser.add_argument("--log", metavar="FILE", type=Path, help=t("doctor.opt_log"))
    parser.add_argument("--variant", metavar="VARIANT", help=t("doctor.opt_variant"))
    parser.add_argument("--mirror", metavar="NAME|URL|auto", help=t("doctor.opt_mirror"))
    parser.set_defaults(func=handle)


def handle(args, ctx) -> int:
    # Read the inputs the user named first, so a typo fails before any probing.
    override = (parse_variant(args.variant) if args.variant is not None
                else variant_from_env(os.environ))
    log = diagnose(read_log(args.log)) if args.log else ()
    facts = gather_facts(ctx.home, PROBE_TIMEOUT)
    installable = installable_releases(facts.platform.key, facts.python.version[:2])
    choice = choose_for_install(facts, installable, override)
    python = ctx.home.env_python()
    env = probe_env(python, choice.device, ENV_TIMEOUT) if python.exists() else None
    report = DoctorInput(ctx.home, facts, choice, env, log, gather_mirrors(ctx.home, args.mirror))
    checks = run_checks(report)
    if args.json:
        print(json.dumps(report_json(report, checks), ensure_ascii=False, indent=2))
    else:
        print(render_text(report, checks))
    return 1 if failed(checks) else 0


def gather_mirrors(home: Home, requested: str | None) -> MirrorFacts:
    """The mirror facts, as install would see them; a broken config or name is data, not an error."""
    spec = requested_spec(requested, home)
    try:
        chain = mirror_chain(home, spec, probe_timeout=MIRROR_PROBE_TIMEOUT)
    except MirrorError as err:
        # A mirrors.toml error is reported once, by mirror_checks, with its file and line.
        config = isinstance(err, MirrorConfigError)
        problem = None if config else Message(err.key, err.params)
        hint = Message(err.hint, err.params) if err.hint and not config else None
        return MirrorFacts(spec, tuple(mirror_checks(home)), problem=problem, hint=hint)
    return MirrorFacts(spec, tuple(mirror_checks(home)), chain)
