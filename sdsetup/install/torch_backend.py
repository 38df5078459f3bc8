"""Which torch wheel variant fits this machine: a pure decision over facts and tables.

:func:`choose_variant` takes :class:`~sdsetup.facts.MachineFacts` and the supported torch releases
(:data:`sdsetup.install.torch_tables.SUPPORTED`) and returns a :class:`VariantChoice` with the variant
(``cu126``, ``rocm6.4``, ``xpu``, ``cpu``, ``default`` on macOS), the torch release, the device
torch will use, and the reasons as catalogue messages. For NVIDIA it applies three checks to each
CUDA build, newest torch release first (shared/reference/torch-backends.md §9):

1. the driver runs the build: at least the minor-version-compatibility minimum of its CUDA major
   (per OS; WSL uses Windows driver numbers). Among the builds that pass, one the driver supports
   fully (build CUDA <= driver CUDA) is preferred, else the oldest, closest to the driver;
2. every NVIDIA GPU's compute capability is compiled into the build;
3. the release publishes that wheel for this Python and platform.

:func:`choose_for_install` makes the same decision among the builds the locks can install
(:func:`sdsetup.install.lockfile.installable_releases`), which is what ``doctor`` and ``install`` both use,
and says plainly when the best build for the hardware is not one of them.

It never returns a CUDA build the driver cannot run, except when the user asked for it
(``--variant``/``SDSETUP_TORCH_VARIANT``), and then ``ok`` is False. An unknown variant name is a
:class:`~sdsetup.errors.UsageError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sdsetup.errors import UsageError
from sdsetup.facts.model import Gpu, MachineFacts
from sdsetup.i18n import t
from sdsetup.install.torch_tables import (HSA_OVERRIDE, KNOWN_VARIANTS, MINOR_COMPAT_DRIVER,
                                  FULL_COMPAT_DRIVER, ROCM_GFX, SUPPORTED, Release, version_key)

VARIANT_ENV = "SDSETUP_TORCH_VARIANT"


@dataclass(frozen=True)
class Message:
    """A catalogue key with its parameters, rendered in the current language when shown."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str | None = None) -> str:
        return t(self.key, lang, **self.params)


@dataclass(frozen=True)
class VariantChoice:
    variant: str
    torch_version: str  # "" when no supported release fits
    device: str  # "cpu", "cuda" (also ROCm), "mps", "xpu"
    ok: bool
    reasons: tuple[Message, ...]

    @property
    def requirement(self) -> str:
        """The pin for this wheel, local label included (``torch==2.13.0+cu126``), so pip cannot
        silently settle on another variant of the same version (doctor-failures.md P6)."""
        label = "" if self.variant == "default" else "+" + self.variant
        return f"torch=={self.torch_version}{label}"


def parse_variant(text: str, source: str = "--variant") -> str | None:
    """A user's variant spelling, checked against the variants we know; "auto" means detect."""
    value = text.strip().lower()
    if value in ("", "auto"):
        return None
    if value not in KNOWN_VARIANTS:
        raise UsageError("doctor.variant_unknown", hint="doctor.hint_variant", variant=text,
                         source=source, known=", ".join(sorted(KNOWN_VARIANTS)))
    return value


def variant_from_env(environ: Mapping[str, str]) -> str | None:
    return parse_variant(environ.get(VARIANT_ENV, ""), VARIANT_ENV)


def device_for(variant: str, platform_key: str) -> str:
    if variant.startswith(("cu", "rocm")):
        return "cuda"  # ROCm builds expose the GPU as torch's "cuda" device
    if variant == "xpu":
        return "xpu"
    return "mps" if variant == "default" and platform_key == "macos-arm64" else "cpu"


def cuda_of(variant: str) -> tuple[int, int]:
    digits = variant[2:]
    return int(digits[:-1]), int(digits[-1])


def _cuda_text(cuda: tuple[int, int]) -> str:
    return f"{cuda[0]}.{cuda[1]}"


def _sm(gpu: Gpu) -> str:
    return f"sm_{gpu.capability}"


def _python_key(facts: MachineFacts) -> tuple[int, int]:
    return facts.python.version[0], facts.python.version[1]


def _releases_here(facts: MachineFacts, releases: Sequence[Release]) -> list[Release]:
    platform, python = facts.platform.key, _python_key(facts)
    return [r for r in releases if any(r.has(v, platform, python) for v in r.variants)]


def _variants_here(release: Release, facts: MachineFacts, prefix: str) -> list[str]:
    platform, python = facts.platform.key, _python_key(facts)
    return [v for v in release.variants if v.startswith(prefix) and release.has(v, platform, python)]


def _choice(variant: str, release: str, facts: MachineFacts, ok: bool,
            reasons: list[Message]) -> VariantChoice:
    return VariantChoice(variant, release, device_for(variant, facts.platform.key), ok,
                         tuple(reasons))


# --- NVIDIA ------------------------------------------------------------------------------------


def _driver_floor(variant: str, windows: bool) -> str | None:
    pair = MINOR_COMPAT_DRIVER.get(cuda_of(variant)[0])
    return pair[windows] if pair else None


def _cuda_problem(variant: str, release: Release, facts: MachineFacts) -> Message | None:
    """Why this CUDA build cannot run here (checks 1 and 2), or None when it can."""
    windows = facts.platform.windows_driver
    floor = _driver_floor(variant, windows)
    driver = facts.nvidia_driver
    if floor is None or driver is None or version_key(driver) < version_key(floor):
        return Message("doctor.reason.driver_too_old", {"variant": variant, "need": floor or "?",
                                                        "driver": driver or "?"})
    for gpu in facts.nvidia_gpus:
        if not _runs(release, variant, gpu):
            return Message("doctor.reason.arch_missing", {
                "variant": variant, "gpu": gpu.name, "sm": _sm(gpu),
                "archs": release.arch(variant).describe()})
    return None


def _runs(release: Release, variant: str, gpu: Gpu) -> bool:
    """Check 2; a GPU of unknown capability is given the benefit of the doubt (and a reason)."""
    arch = release.arch(variant)
    return arch is None or gpu.capability is None or arch.runs(gpu.capability)


def _driver_cuda(facts: MachineFacts) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d+)\.(\d+)(?:\.\d+)?", facts.cuda_driver or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def _best_cuda(passing: list[str], facts: MachineFacts) -> tuple[str, Message]:
    driver_cuda = _driver_cuda(facts)
    full = [v for v in passing if driver_cuda and cuda_of(v) <= driver_cuda]
    if full:
        best = max(full, key=cuda_of)
        return best, Message("doctor.reason.cuda_full", {
            "variant": best, "cuda": _cuda_text(cuda_of(best)),
            "driver_cuda": facts.cuda_driver})
    best = min(passing, key=cuda_of)
    windows = facts.platform.windows_driver
    full_need = FULL_COMPAT_DRIVER.get(cuda_of(best))
    return best, Message("doctor.reason.cuda_minor", {
        "variant": best, "cuda": _cuda_text(cuda_of(best)),
        "driver_cuda": facts.cuda_driver or "?", "floor": _driver_floor(best, windows),
        "full": full_need[windows] if full_need else "?"})


def _gpu_line(facts: MachineFacts) -> Message:
    names = ", ".join(
        f"{gpu.name} ({_sm(gpu)})" if gpu.capability is not None else gpu.name
        for gpu in facts.nvidia_gpus
    )
    driver = {"driver": facts.nvidia_driver or "?", "driver_cuda": facts.cuda_driver or "?",
              "source": facts.driver_source or "?"}
    if not names:  # only a driver version is known (SDSETUP_CUDA_DRIVER_VERSION, /proc)
        return Message("doctor.reason.nvidia_driver_only", driver)
    return Message("doctor.reason.nvidia_found", {"gpus": names, **driver})


def _choose_cuda(facts: MachineFacts, releases: list[Release]) -> VariantChoice:
    reasons = [_gpu_line(facts)]
    if any(gpu.capability is None for gpu in facts.nvidia_gpus) or not facts.nvidia_gpus:
        reasons.append(Message("doctor.reason.arch_unknown"))
    newest_problems: list[Message] = []
    for index, release in enumerate(releases):
        candidates = sorted(_variants_here(release, facts, "cu"), key=cuda_of, reverse=True)
        problems = {v: _cuda_problem(v, release, facts) for v in candidates}
        passing = [v for v, problem in problems.items() if problem is None]
        if index == 0:
            newest_problems = [p for p in problems.values() if p is not None]
        if not passing:
            continue
        best, why = _best_cuda(passing, facts)
        reasons.append(why)
        if index == 0:
            reasons += [p for v, p in problems.items()
                        if p is not None and cuda_of(v) > cuda_of(best)]
        else:
            reasons.append(Message("doctor.reason.older_release", {
                "version": release.version, "newest": releases[0].version}))
            reasons += newest_problems
            need = _driver_needed(facts, releases[0])
            if need:
                reasons.append(Message("doctor.reason.newest_needs", {
                    "need": need, "newest": releases[0].version}))
        return _choice(best, release.version, facts, True, reasons)
    return _cuda_nothing_fits(facts, releases, reasons + newest_problems)


def _driver_needed(facts: MachineFacts, release: Release) -> str | None:
    """The oldest driver that runs some CUDA build of ``release`` on these GPUs, if any does."""
    windows = facts.platform.windows_driver
    floors = [_driver_floor(v, windows) for v in _variants_here(release, facts, "cu")
              if all(_runs(release, v, gpu) for gpu in facts.nvidia_gpus)]
    return min((f for f in floors if f), key=version_key, default=None)


def _cuda_nothing_fits(facts: MachineFacts, releases: list[Release],
                       reasons: list[Message]) -> VariantChoice:
    need = _driver_needed(facts, releases[0])
    if need:
        reasons.append(Message("doctor.reason.update_driver", {
            "driver": facts.nvidia_driver or "?", "need": need}))
    else:
        reasons.append(Message("doctor.reason.gpu_unsupported"))
    return _choice("cpu", releases[0].version, facts, False, reasons)


# --- AMD, Intel, CPU ---------------------------------------------------------------------------

def _rocm_match(gfx: str, variant: str) -> tuple[str, str] | None:
    """(gfx the build runs, HSA_OVERRIDE_GFX_VERSION value or "") for a card, or None."""
    supported = ROCM_GFX.get(variant, frozenset())
    if gfx in supported:
        return gfx, ""
    for prefix, sibling, value in HSA_OVERRIDE:
        if gfx.startswith(prefix) and sibling in supported:
            return sibling, value
    return None


def _choose_rocm(facts: MachineFacts, releases: list[Release], amd: list[Gpu]) -> VariantChoice:
    names = ", ".join(f"{gpu.name}" for gpu in amd)
    if facts.platform.os != "linux" or facts.platform.wsl:
        return _choice("cpu", releases[0].version, facts, True, [
            Message("doctor.reason.amd_not_linux", {"gpus": names})])
    for release in releases:
        for variant in _variants_here(release, facts, "rocm"):
            for gpu in amd:
                match = _rocm_match(gpu.gfx or "", variant)
                if match is None:
                    continue
                reasons = [Message("doctor.reason.rocm", {"variant": variant, "gpu": gpu.name,
                                                          "gfx": gpu.gfx})]
                if match[1]:
                    reasons.append(Message("doctor.reason.hsa_override", {
                        "gfx": gpu.gfx, "sibling": match[0], "value": match[1]}))
                return _choice(variant, release.version, facts, True, reasons)
    return _choice("cpu", releases[0].version, facts, True, [
        Message("doctor.reason.amd_unsupported", {"gpus": names})])


def _choose_other(facts: MachineFacts, releases: list[Release]) -> VariantChoice:
    intel = [gpu for gpu in facts.gpus if gpu.vendor == "intel"]
    amd = [gpu for gpu in facts.gpus if gpu.vendor == "amd"]
    if amd:
        return _choose_rocm(facts, releases, amd)
    if intel:
        for release in releases:
            if _variants_here(release, facts, "xpu"):
                return _choice("xpu", release.version, facts, True, [
                    Message("doctor.reason.xpu", {"gpu": intel[0].name})])
    if facts.platform.os == "macos":
        for release in releases:
            if _variants_here(release, facts, "default"):
                key = "doctor.reason.mps" if facts.platform.arch == "arm64" else "doctor.reason.mac_cpu"
                return _choice("default", release.version, facts, True, [Message(key)])
    return _choice("cpu", releases[0].version, facts, True, [Message("doctor.reason.no_gpu")])


# --- the decision ------------------------------------------------------------------------------

def _forced(facts: MachineFacts, releases: list[Release], variant: str) -> VariantChoice:
    reasons = [Message("doctor.reason.override", {"variant": variant})]
    for release in releases:
        if release.has(variant, facts.platform.key, _python_key(facts)):
            problem = _cuda_problem(variant, release, facts) if variant.startswith("cu") else None
            if problem and facts.nvidia_driver:
                return _choice(variant, release.version, facts, False, reasons + [problem])
            if variant.startswith("cu") and not facts.nvidia_driver:
                reasons.append(Message("doctor.reason.override_no_nvidia", {"variant": variant}))
            return _choice(variant, release.version, facts, True, reasons)
    reasons.append(Message("doctor.reason.no_wheel", {
        "variant": variant, "python": facts.python.text, "platform": facts.platform.key}))
    return _choice(variant, "", facts, False, reasons)


def choose_variant(facts: MachineFacts, releases: Sequence[Release] = SUPPORTED,
                   override: str | None = None) -> VariantChoice:
    """The torch variant and release for this machine, with the reasons, newest release first."""
    if override is not None:
        override = parse_variant(override)
    if facts.python.bits != 64:
        return _choice("cpu", "", facts, False, [
            Message("doctor.reason.python_32bit", {"python": facts.python.text})])
    here = _releases_here(facts, releases)
    if not here:
        return _choice(override or "cpu", "", facts, False, [Message("doctor.reason.no_release", {
            "python": facts.python.text, "platform": facts.platform.key,
            "ranges": "; ".join(f"{r.version}: {r.python[0][0]}.{r.python[0][1]}-"
                                f"{r.python[1][0]}.{r.python[1][1]}" for r in releases)})])
    if override:
        return _forced(facts, here, override)
    if facts.platform.os != "macos" and (facts.nvidia_gpus or facts.nvidia_driver):
        return _choose_cuda(facts, here)
    return _choose_other(facts, here)


def _not_installable(facts: MachineFacts, best: VariantChoice, installable: Sequence[Release],
                     choice: VariantChoice) -> Message:
    installs = ", ".join(r.version for r in installable) or "-"
    if best.variant.startswith("cu") and not choice.ok and installable:
        need = _driver_needed(facts, installable[0])
        if need:
            return Message("doctor.reason.driver_below_installable", {
                "driver": facts.nvidia_driver or "?", "cuda": cuda_of(best.variant)[0],
                "installs": installs, "need": need})
    return Message("doctor.reason.not_installable", {
        "best": best.requirement.removeprefix("torch=="), "installs": installs,
        "python": facts.python.text, "platform": facts.platform.key})


def choose_for_install(facts: MachineFacts, installable: Sequence[Release],
                       override: str | None = None,
                       releases: Sequence[Release] = SUPPORTED) -> VariantChoice:
    """The best build among those sdsetup can install, saying so when the hardware's best differs."""
    choice = choose_variant(facts, installable, override)
    best = choose_variant(facts, releases, override)
    if not best.ok or (best.variant, best.torch_version) == (choice.variant, choice.torch_version):
        return choice
    why = _not_installable(facts, best, installable, choice)
    # The driver sentence names the installable release, so it replaces the generic one.
    kept = tuple(r for r in choice.reasons if why.key == "doctor.reason.not_installable"
                 or r.key != "doctor.reason.update_driver")
    return replace(choice, reasons=kept + (why,))
