"""The doctor's verdicts: pure check functions over gathered facts, and the report they make.

Each check function takes a :class:`DoctorInput` and yields :class:`Check` results; :data:`CHECKS`
is the ordered sequence the doctor runs, so a new check (the mirror check, say) is one more
function added to it. Rendering as a table or as JSON lives in :mod:`sdsetup.doctor.render`.

Errors of the doctor domain (all rendered by the CLI as ``error:``/``hint:``)::

    SdsetupError
    ├── UsageError                 unknown --variant / SDSETUP_TORCH_VARIANT value
    │                              (torch_backend.parse_variant), malformed
    │                              SDSETUP_CUDA_DRIVER_VERSION (facts.driver_from_env)
    └── logdiag.LogReadError       the file given to --log cannot be read

Probes never raise: what they cannot learn becomes a ``ProbeIssue`` and a warning here. Mirror
problems (a mirrors.toml with an error, an unknown ``--mirror`` name) are gathered as data too
(:class:`MirrorFacts`) and become failed checks, not errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sdsetup.facts.envprobe import EnvReport
from sdsetup.facts.model import MachineFacts
from sdsetup.facts.system import home_path_issues
from sdsetup.home import Home
from sdsetup.i18n import t
from sdsetup.doctor.logdiag import Finding, diagnose
from sdsetup.mirrors.checks import MirrorCheck
from sdsetup.mirrors.choice import retry_hint
from sdsetup.mirrors.config import Mirror, PIP_CONFIG
from sdsetup.install.torch_backend import Message, VariantChoice
from sdsetup.models.civitai import DEFAULT_BASE as CIVITAI_DEFAULT
from sdsetup.models.hf import DEFAULT_ENDPOINT as HF_DEFAULT

OK, WARN, FAIL = "ok", "warn", "fail"
MIN_FREE_BYTES = 30 * 1024**3  # torch with its CUDA wheels (~5 GB), the env, and a few checkpoints
MIN_VRAM_MIB = 4096  # an SD 1.5 checkpoint in fp16 plus activations at 512x512 without offloading


@dataclass(frozen=True)
class Check:
    id: str
    status: str  # ok, warn, fail
    message: Message
    fix: Message | None = None  # required unless status is ok


@dataclass(frozen=True)
class MirrorFacts:
    """What the command layer learnt about mirrors (sdsetup.mirrors), without network unless
    ``--mirror auto`` had nothing remembered and probed."""

    requested: str  # the --mirror value, SDSETUP_MIRROR, or what is used when neither is given
    checks: tuple[MirrorCheck, ...]  # mirrors.mirror_checks: the config file, auto choice, misses
    chain: tuple[Mirror, ...] = ()  # the mirrors ``requested`` selects, in failover order
    problem: Message | None = None  # why ``requested`` selects nothing (an unknown name…)
    hint: Message | None = None
    unreachable: tuple[tuple[str, str], ...] = ()  # (host:port, why) of chosen hosts that refused


@dataclass(frozen=True)
class DoctorInput:
    home: Home
    facts: MachineFacts
    choice: VariantChoice
    env: EnvReport | None  # None when the managed env does not exist
    log: tuple[Finding, ...] = ()
    mirrors: MirrorFacts | None = None


def _m(key: str, **params: object) -> Message:
    return Message("doctor." + key, params)


def check_platform(d: DoctorInput) -> Iterable[Check]:
    p = d.facts.platform
    yield Check("platform", OK, _m("check.platform", os=p.os, arch=p.arch,
                                   wsl=" (WSL)" if p.wsl else ""))


def check_python(d: DoctorInput) -> Iterable[Check]:
    py = d.facts.python
    if py.bits != 64:
        yield Check("python", FAIL, _m("check.python_32bit", version=py.text, bits=py.bits),
                    _m("fix.python_64bit"))
    elif py.implementation != "cpython":
        yield Check("python", FAIL, _m("check.python_impl", impl=py.implementation,
                                       version=py.text), _m("fix.python_64bit"))
    else:
        yield Check("python", OK, _m("check.python", version=py.text, path=py.executable))
    if py.ms_store:
        yield Check("python.store", WARN, _m("check.python_store"), _m("fix.python_store"))
    if not py.venv_available:
        yield Check("python.venv", FAIL, _m("check.python_venv"),
                    _m("fix.python_venv", minor=f"{py.version[0]}.{py.version[1]}"))


def check_disk(d: DoctorInput) -> Iterable[Check]:
    disk = d.facts.disk
    if disk is None or disk.free_bytes is None:
        yield Check("disk", WARN, _m("check.disk_unknown", path=d.facts.home),
                    _m("fix.disk", path=d.facts.home))
        return
    gib = f"{disk.free_bytes / 1024**3:.1f}"
    if disk.free_bytes < MIN_FREE_BYTES:
        yield Check("disk", WARN, _m("check.disk_low", free=gib, path=disk.path, need=30),
                    _m("fix.disk", path=disk.path))
    else:
        yield Check("disk", OK, _m("check.disk", free=gib, path=disk.path))
    if disk.on_system_drive:
        yield Check("disk.system", WARN, _m("check.disk_system", path=disk.path),
                    _m("fix.disk_system"))


def check_home_path(d: DoctorInput) -> Iterable[Check]:
    home = d.facts.home
    for issue in home_path_issues(home, d.facts.platform.os, d.facts.long_paths):
        fix = "fix.long_paths" if issue == "too_long" else "fix.home_path"
        yield Check(f"home.{issue}", WARN, _m(f"check.home_{issue}", path=home, length=len(home)),
                    _m(fix))


def check_git(d: DoctorInput) -> Iterable[Check]:
    if d.facts.git_version:
        yield Check("git", OK, _m("check.git", version=d.facts.git_version))
    else:
        yield Check("git", OK, _m("check.git_missing"))


def check_proxies(d: DoctorInput) -> Iterable[Check]:
    for proxy in d.facts.proxies:
        fix = _m("fix.proxy_system" if proxy.variable.startswith("system:") else "fix.proxy_dead",
                 var=proxy.variable)
        if proxy.alive is False:
            yield Check(f"proxy.{proxy.variable}", FAIL,
                        _m("check.proxy_dead", var=proxy.variable, url=proxy.url), fix)
        elif proxy.alive is None:
            yield Check(f"proxy.{proxy.variable}", WARN,
                        _m("check.proxy_bad", var=proxy.variable, url=proxy.url), fix)
        else:
            yield Check(f"proxy.{proxy.variable}", OK,
                        _m("check.proxy", var=proxy.variable, url=proxy.url))


def check_pip(d: DoctorInput) -> Iterable[Check]:
    pip = d.facts.pip
    if pip is None:
        yield Check("pip", WARN, _m("check.pip_unknown"), _m("fix.pip"))
        return
    indexes = " ".join(filter(None, (pip.index_url,) + pip.extra_index_urls))
    yield Check("pip", OK, _m("check.pip", index=indexes or "-",
                              links=" ".join(pip.find_links) or "-"))


def check_probes(d: DoctorInput) -> Iterable[Check]:
    for issue in d.facts.issues:
        yield Check(f"probe.{issue.probe}", WARN,
                    _m(f"check.probe_{issue.kind}", probe=issue.probe, detail=issue.detail),
                    _m("fix.probe_nvidia" if issue.probe == "nvidia-smi" else "fix.probe",
                       probe=issue.probe))


def check_gpus(d: DoctorInput) -> Iterable[Check]:
    gpus = d.facts.gpus
    if not gpus:
        yield Check("gpu", OK, _m("check.gpu_none"))
    for i, gpu in enumerate(gpus):
        memory = f"{gpu.memory_mib} MiB" if gpu.memory_mib else "?"
        arch = f"sm_{gpu.capability}" if gpu.capability is not None else gpu.gfx
        yield Check(f"gpu.{i}", OK, _m("check.gpu", name=gpu.name, memory=memory,
                                       detail=f", {arch}" if arch else ""))
        if gpu.memory_mib is not None and gpu.memory_mib < MIN_VRAM_MIB:
            yield Check(f"gpu.{i}.vram", WARN, _m("check.gpu_vram", name=gpu.name,
                                                  memory=gpu.memory_mib),
                        _m("fix.lowvram"))
    if d.facts.nvidia_driver:
        yield Check("driver", OK, _m("check.driver", driver=d.facts.nvidia_driver,
                                     cuda=d.facts.cuda_driver or "?",
                                     source=d.facts.driver_source or "?"))


def check_variant(d: DoctorInput) -> Iterable[Check]:
    choice = d.choice
    if choice.ok:
        yield Check("torch.variant", OK, _m("check.variant", variant=choice.variant,
                                            version=choice.torch_version or "?",
                                            device=choice.device))
    else:
        yield Check("torch.variant", FAIL, _m("check.variant_none", variant=choice.variant),
                    _m("fix.variant"))


def mirror_endpoints(mirror: Mirror, variant: str) -> dict[str, str]:
    """Where this mirror takes packages, this torch build and models from."""
    return {"packages": " ".join(mirror.pypi) or PIP_CONFIG,
            "torch": mirror.torch_base(variant) or mirror.torch_layout,
            "huggingface": mirror.huggingface or "-", "civitai": mirror.civitai or "-"}


def endpoint_words(mirror: Mirror, variant: str) -> dict[str, str]:
    """:func:`mirror_endpoints` for people: what a role falls back to is said, not coded."""
    return {"packages": " ".join(mirror.pypi) or t("install.from_pip_config"),
            "torch": mirror.torch_base(variant) or t("install.torch_with_packages"),
            "huggingface": mirror.huggingface or HF_DEFAULT, "civitai": mirror.civitai or CIVITAI_DEFAULT}


def mirror_check_status(found: MirrorCheck) -> str:
    # A broken mirrors.toml stops every download command; a lazy-cache miss only slows them.
    return OK if found.ok else FAIL if found.id == "mirrors.config" else WARN


def check_mirrors(d: DoctorInput) -> Iterable[Check]:
    m = d.mirrors
    if m is None:
        return
    for found in m.checks:
        status = mirror_check_status(found)
        fix = Message(found.hint, found.params) if found.hint and not found.ok else None
        yield Check(found.id, status, Message(found.key, found.params), fix)
    if m.problem is not None:
        yield Check("mirrors.chosen", FAIL, m.problem, m.hint)
    for i, mirror in enumerate(m.chain):
        yield Check(f"mirrors.chosen.{i}" if i else "mirrors.chosen", OK,
                    _m("check.mirror_chosen", name=mirror.name,
                       **endpoint_words(mirror, d.choice.variant)))
    for host, why in m.unreachable:
        yield Check(f"mirrors.reach.{host}", FAIL, _m("check.mirror_unreachable", host=host, error=why),
                    Message(retry_hint(mirror.name for mirror in m.chain), {}))


def _expected_device_works(env: EnvReport, device: str) -> bool:
    return {"cuda": env.cuda_available, "mps": env.mps_available,
            "xpu": env.xpu_available}.get(device, True)


def check_env(d: DoctorInput) -> Iterable[Check]:
    env, choice, python = d.env, d.choice, str(d.home.env_python())
    if env is None:
        yield Check("env", WARN, _m("check.env_missing", path=python), _m("fix.install"))
        return
    if env.torch_version is None:
        yield Check("env", FAIL, _m("check.env_broken", path=python,
                                    error=env.error or "?"), _m("fix.install"))
        return
    yield Check("env", OK, _m("check.env", python=env.python_version or "?",
                              torch=env.torch_version, cuda=env.cuda_version or "-"))
    wanted = choice.requirement.removeprefix("torch==")
    if choice.ok and env.torch_version != wanted:
        yield Check("env.variant", WARN, _m("check.env_variant", have=env.torch_version,
                                            want=wanted),
                    _m("fix.install_variant", variant=choice.variant))
    if not _expected_device_works(env, choice.device):
        yield Check("env.device", FAIL, _m("check.env_device", device=choice.device,
                                           torch=env.torch_version),
                    _m("fix.install_variant", variant=choice.variant))
    if env.tensor_ok:
        yield Check("env.tensor", OK, _m("check.env_tensor", device=env.device))
    else:
        yield Check("env.tensor", FAIL, _m("check.env_tensor_failed", device=env.device,
                                           error=env.error or "?"),
                    _m("fix.install_variant", variant=choice.variant))


def log_checks(findings: Iterable[Finding], source: str) -> Iterable[Check]:
    for finding in findings:
        yield Check(f"{source}.{finding.rule.id}", finding.rule.severity,
                    Message(finding.cause_key, {**finding.params, "line": finding.line}),
                    Message(finding.fix_key, finding.params))


def check_log(d: DoctorInput) -> Iterable[Check]:
    yield from log_checks(d.log, "log")
    if d.env is not None:
        # The probe's own output holds torch's warnings (an arch missing from the build…).
        yield from log_checks(diagnose(d.env.output), "env.log")


CheckFn = Callable[[DoctorInput], Iterable[Check]]
CHECKS: tuple[CheckFn, ...] = (
    check_platform, check_python, check_disk, check_home_path, check_git, check_proxies,
    check_pip, check_mirrors, check_probes, check_gpus, check_variant, check_env, check_log,
)


def run_checks(d: DoctorInput, checks: Sequence[CheckFn] = CHECKS) -> tuple[Check, ...]:
    return tuple(check for fn in checks for check in fn(d))


def failed(checks: Iterable[Check]) -> bool:
    return any(check.status == FAIL for check in checks)
