"""The doctor's report as a compact human table or as one JSON object."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from sdsetup.columns import pad, width
from sdsetup.doctor.checks import FAIL, OK, WARN, Check, DoctorInput, mirror_check_status, mirror_endpoints
from sdsetup.i18n import t


def render_text(d: DoctorInput, checks: Sequence[Check]) -> str:
    marks = {status: t(f"doctor.mark.{status}") for status in (OK, WARN, FAIL)}
    mark_width = max(width(mark) for mark in marks.values())
    id_width = max((len(check.id) for check in checks), default=0)
    indent = " " * (mark_width + id_width + 4)
    lines = [t("doctor.title", home=d.facts.home)]
    for check in checks:
        lines.append(f"  {pad(marks[check.status], mark_width)} {check.id.ljust(id_width)} "
                     f"{check.message.text()}")
        if check.status != OK and check.fix is not None:
            lines.append(f"{indent}{t('doctor.fix_prefix')} {check.fix.text()}")
    choice = d.choice
    lines.append("")
    lines.append(t("doctor.variant_heading", variant=choice.variant,
                   version=choice.torch_version or "-", device=choice.device))
    lines += [f"  - {reason.text()}" for reason in choice.reasons]
    failed = sum(check.status == FAIL for check in checks)
    warned = sum(check.status == WARN for check in checks)
    lines.append("")
    lines.append(t("doctor.summary", failed=failed, warned=warned))
    return "\n".join(lines)


def _env_json(d: DoctorInput) -> dict[str, Any] | None:
    if d.env is None:
        return None
    data = asdict(d.env)
    data.pop("output")
    data["variant"] = d.env.variant
    return data


def _mirrors_json(d: DoctorInput) -> dict[str, Any] | None:
    m = d.mirrors
    if m is None:
        return None
    return {
        "requested": m.requested,
        "chain": [{"name": mirror.name, "torch_layout": mirror.torch_layout,
                   **mirror_endpoints(mirror, d.choice.variant)} for mirror in m.chain],
        "problem": m.problem.text() if m.problem else None,
        "checks": [{"id": c.id, "status": mirror_check_status(c), "message": t(c.key, **c.params),
                    "fix": t(c.hint, **c.params) if c.hint and not c.ok else None}
                   for c in m.checks],
    }


def report_json(d: DoctorInput, checks: Sequence[Check]) -> dict[str, Any]:
    facts, choice = d.facts, d.choice
    return {
        "platform": {"os": facts.platform.os, "arch": facts.platform.arch,
                     "python": facts.python.text, "wsl": facts.platform.wsl,
                     "release": facts.platform.release},
        "python": {"version": facts.python.text, "implementation": facts.python.implementation,
                   "bits": facts.python.bits, "executable": facts.python.executable,
                   "venv_available": facts.python.venv_available,
                   "ms_store": facts.python.ms_store},
        "home": facts.home,
        "long_paths": facts.long_paths,
        "disk_free_bytes": facts.disk.free_bytes if facts.disk else None,
        "git": facts.git_version,
        "proxies": [asdict(proxy) for proxy in facts.proxies],
        "pip": asdict(facts.pip) if facts.pip else None,
        "gpus": [{"vendor": g.vendor, "name": g.name, "memory_mib": g.memory_mib,
                  "driver_version": g.driver_version, "compute_capability": g.compute_capability,
                  "gfx": g.gfx} for g in facts.gpus],
        "nvidia_driver": facts.nvidia_driver,
        "cuda_driver": facts.cuda_driver,
        "driver_source": facts.driver_source,
        "torch_variant": choice.variant,
        "torch_version": choice.torch_version or None,
        "torch_device": choice.device,
        "variant_ok": choice.ok,
        "variant_reasons": [reason.text() for reason in choice.reasons],
        "env": _env_json(d),
        "mirrors": _mirrors_json(d),
        "checks": [{"id": c.id, "status": c.status, "message": c.message.text(),
                    "fix": c.fix.text() if c.fix else None} for c in checks],
    }
