"""``sdsetup doctor``: machine facts, the torch variant choice, the managed env's health, log diagnosis."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sdsetup.doctor.checks import DoctorInput, MirrorFacts, failed, mirror_endpoints, run_checks
from sdsetup.doctor.render import render_text, report_json
from sdsetup.facts.envprobe import probe_env
from sdsetup.facts import gather_facts
from sdsetup.facts.network import unreachable_hosts
from sdsetup.home import Home
from sdsetup.i18n import t
from sdsetup.install.lockfile import installable_releases
from sdsetup.install.venv import recover
from sdsetup.doctor.logdiag import diagnose, read_log
from sdsetup.mirrors.checks import mirror_checks
from sdsetup.mirrors.choice import mirror_chain, requested_spec
from sdsetup.mirrors.config import DEFAULT, MirrorConfigError, MirrorError
from sdsetup.install.torch_backend import Message, choose_for_install, parse_variant, variant_from_env
from sdsetup.redact import redact_userinfo

ORDER = 10
# All machine probes together; a hung nvidia-smi is killed at this point, so that with Python's
# start-up the doctor still answers within about 2 s.
PROBE_TIMEOUT = 1.5
ENV_TIMEOUT = 120.0  # importing torch from a cold disk plus a CUDA context can take a minute
MIRROR_PROBE_TIMEOUT = 2.0  # --mirror auto with nothing remembered: a short look at each mirror
REACH_TIMEOUT = 2.0  # a connect to each host of a chosen mirror


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
    recover(ctx.home.env_dir)  # an install killed half-way gives the working env back first
    python = ctx.home.env_python()
    env = probe_env(python, choice.device, ENV_TIMEOUT) if python.exists() else None
    mirrors = gather_mirrors(ctx.home, args.mirror, choice.variant)
    report = DoctorInput(ctx.home, facts, choice, env, log, mirrors)
    checks = run_checks(report)
    if args.json:
        print(redact_userinfo(json.dumps(report_json(report, checks), ensure_ascii=False, indent=2)))
    else:
        print(redact_userinfo(render_text(report, checks)))
    return 1 if failed(checks) else 0


def gather_mirrors(home: Home, requested: str | None, variant: str) -> MirrorFacts:
    """The mirror facts, as install would see them; a broken config or name is data, not an error.

    A chosen mirror (not ``default``, whose sources are pip's business) gets a connect to each of
    its hosts: a source that cannot be reached is a failure, not "ok".
    """
    spec = requested_spec(requested)
    try:
        chain = mirror_chain(home, spec, probe_timeout=MIRROR_PROBE_TIMEOUT)
    except MirrorError as err:
        # A mirrors.toml error is reported once, by mirror_checks, with its file and line.
        config = isinstance(err, MirrorConfigError)
        problem = None if config else Message(err.key, err.params)
        hint = Message(err.hint, err.params) if err.hint and not config else None
        return MirrorFacts(spec, tuple(mirror_checks(home)), problem=problem, hint=hint)
    unreachable = {} if spec == DEFAULT else unreachable_hosts(
        [url for mirror in chain for role, urls in mirror_endpoints(mirror, variant).items()
         if role != "civitai" for url in urls.split()], REACH_TIMEOUT)
    return MirrorFacts(spec, tuple(mirror_checks(home)), chain,
                       unreachable=tuple(sorted(unreachable.items())))
