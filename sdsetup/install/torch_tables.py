"""The data behind the torch backend choice: driver minimums, compiled GPU archs, published wheels.

Every table cites its source. Sources are summarised in the project's research notes on torch
backends (``shared/reference/torch-backends.md``, sections given below as §N). Rows marked
``UNVERIFIED`` come from secondary sources or inference and must be checked against the real
index (``torch.cuda.get_arch_list()`` after install, or the index listing) before relying on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --- 1. Driver minimums per CUDA build --------------------------------------------------------

# Minor-version compatibility floor: the oldest driver that runs a build's precompiled kernels.
# Source: astral-sh/uv crates/uv-torch/src/backend.rs @26a9dd4b (citing NVIDIA CUDA release notes,
# Table 2), identical to pmeier/light-the-torch _cb.py for cu80..cu126 (§1.1).
# Keys are (major, minor) of the CUDA toolkit; values are (linux, windows) driver versions.
MINOR_COMPAT_DRIVER: dict[int, tuple[str, str]] = {
    # keyed by CUDA major version: the floor is the same for every minor of a major release
    13: ("580", "580"),
    12: ("525.60.13", "528.33"),
    11: ("450.80.02", "452.39"),
}

# Full compatibility: the driver each toolkit shipped with, which also JIT-compiles its PTX
# (Triton, torch.compile). Source: NVIDIA CUDA release notes Table 3 as collected in §1.2;
# UNVERIFIED except 12.x floor and the 12.6 / 13.0 Linux values seen in release manifests.
FULL_COMPAT_DRIVER: dict[tuple[int, int], tuple[str, str]] = {
    (13, 0): ("580.65.06", "580.88"),
    (12, 9): ("575.51.03", "576.02"),
    (12, 8): ("570.26", "570.65"),
    (12, 6): ("560.28.03", "560.76"),
    (12, 4): ("550.54.14", "551.61"),
    (12, 1): ("530.30.02", "531.14"),
    (11, 8): ("520.61.05", "520.06"),
}


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def driver_max_cuda(driver: str, windows: bool) -> tuple[int, int] | None:
    """The newest CUDA a driver runs fully, for when nvidia-smi did not print it (only
    /proc/driver/nvidia/version was readable, or SDSETUP_CUDA_DRIVER_VERSION was given).

    Uses FULL_COMPAT_DRIVER plus the minor-compat floors of 12.0 and 11.1, which uv and
    light-the-torch both confirm. WSL reports the Windows driver, so it reads the Windows column.
    """
    rows = [(cuda, pair) for cuda, pair in FULL_COMPAT_DRIVER.items()]
    rows += [((12, 0), MINOR_COMPAT_DRIVER[12]), ((11, 1), MINOR_COMPAT_DRIVER[11])]
    fitting = [cuda for cuda, pair in rows if version_key(driver) >= version_key(pair[windows])]
    return max(fitting) if fitting else None


# --- 2. GPU architectures compiled into each build --------------------------------------------

# SASS targets (compute capability as major*10+minor) and the PTX target, per (torch series, tag).
# A GPU runs a build when the build has SASS for the same major and a minor <= the GPU's, or PTX
# for a capability <= the GPU's (the driver JIT-compiles it).
# Sources:
# - AUTOMATIC1111/stable-diffusion-webui#17296 quotes torch 2.1.2+cu121 and 2.7+cu128 (§2);
# - PyTorch's "Maxwell and Pascal architecture support removed in CUDA 12.8 and 12.9 builds"
#   announcement (dev-discuss.pytorch.org, July 2025) and pytorch/pytorch#158700, which prints
#   2.8+cu128's get_arch_list(): sm_70 sm_75 sm_80 sm_86 sm_90 sm_100 sm_120 compute_120;
# - pytorch/pytorch#172352, the support matrix from 2.10 on: cu126 Maxwell..Hopper, cu128 and
#   cu130 Turing..Blackwell (10.0, 12.0; cu130 with 12.0 PTX);
# - PyTorch's .ci/manywheel/build_cuda.sh on the 2.11 branch, as quoted in
#   jhj0517/Whisper-WebUI#653: "Only 12.6 includes legacy Maxwell/Pascal/Volta, -Hopper support".
# cu118/cu124 are assumed to match the 2.1.2+cu121 quote; 2.13.0 is assumed to keep the 2.11 lists.
_LEGACY_SASS = (50, 60, 70, 75, 80, 86, 90)
_BLACKWELL_SASS = (75, 80, 86, 90, 100, 120)


@dataclass(frozen=True)
class ArchList:
    sass: tuple[int, ...]
    ptx: int | None = None

    def runs(self, capability: int) -> bool:
        major = capability // 10
        if any(s // 10 == major and s <= capability for s in self.sass):
            return True
        return self.ptx is not None and self.ptx <= capability

    def describe(self) -> str:
        names = [f"sm_{s}" for s in self.sass]
        return " ".join(names + ([f"compute_{self.ptx}"] if self.ptx else []))


# Per tag, as most releases build it; Release.archs holds a release's own exceptions.
ARCHS: dict[str, ArchList] = {
    "cu118": ArchList(_LEGACY_SASS),
    "cu121": ArchList(_LEGACY_SASS),
    "cu124": ArchList(_LEGACY_SASS),
    "cu126": ArchList(_LEGACY_SASS),
    "cu128": ArchList(_BLACKWELL_SASS, ptx=120),
    "cu129": ArchList(_BLACKWELL_SASS, ptx=120),
    "cu130": ArchList(_BLACKWELL_SASS, ptx=120),
}
_VOLTA_BACK = ArchList((70,) + _BLACKWELL_SASS, ptx=120)  # 2.8 and 2.9 re-added sm_70 to cu128/9
_NO_HOPPER = ArchList((50, 60, 70, 75, 80, 86))  # 2.11+ cu126

# Compute capability by GPU name, for drivers whose nvidia-smi lacks the compute_cap field
# (470 and older; shared/fixtures/nvidia-smi/SOURCES.txt). Patterns are matched in order against
# the lower-cased marketing name at a word start. Source: NVIDIA's published CUDA GPU compute capability list.
NAME_CAPABILITY: tuple[tuple[str, int], ...] = (
    ("rtx 50", 120), ("rtx pro 6000 blackwell", 120), ("b200", 100), ("b100", 100),
    ("h100", 90), ("h200", 90), ("gh200", 90),
    ("rtx 40", 89), ("l40", 89), ("l4", 89), ("rtx 2000 ada", 89), ("rtx 4000 ada", 89),
    ("rtx 5000 ada", 89), ("rtx 6000 ada", 89),
    ("a100", 80), ("a30", 80),
    ("rtx 30", 86), ("rtx a", 86), ("a40", 86), ("a10", 86), ("a2", 86),
    ("titan v", 70), ("v100", 70),
    ("rtx 20", 75), ("gtx 16", 75), ("titan rtx", 75), ("quadro rtx", 75), ("t4", 75),
    ("gtx 10", 61), ("titan x", 61), ("p40", 61), ("p4", 61), ("p100", 60),
    ("gtx 9", 52), ("gtx 750", 50), ("m40", 52), ("m60", 52),
)

# --- 3. ROCm builds and the AMD GPUs they cover -----------------------------------------------

# gfx targets per ROCm version. Source: astral-sh/uv backend.rs LINUX_AMD_GPU_DRIVERS (§4.1).
_ROCM_62_4 = ("gfx900", "gfx906", "gfx908", "gfx90a", "gfx942", "gfx1030", "gfx1100", "gfx1101",
              "gfx1102", "gfx1200", "gfx1201")
ROCM_GFX: dict[str, frozenset[str]] = {
    "rocm7.2": frozenset(_ROCM_62_4 + ("gfx950", "gfx1150", "gfx1151")),
    "rocm6.4": frozenset(_ROCM_62_4),
    "rocm6.3": frozenset(_ROCM_62_4),
    "rocm6.2.4": frozenset(_ROCM_62_4),
}

# Consumer cards missing from those lists run the kernels of a listed sibling when
# HSA_OVERRIDE_GFX_VERSION names it. Source: A1111 webui.sh and SD.Next modules/rocm.py (§4.2,
# shared/reference/doctor-failures.md T8).
HSA_OVERRIDE: tuple[tuple[str, str, str], ...] = (
    # (gfx prefix, the sibling the override selects, the override value)
    ("gfx120", "gfx1200", "12.0.0"),
    ("gfx110", "gfx1100", "11.0.0"),
    ("gfx103", "gfx1030", "10.3.0"),
    ("gfx90c", "gfx900", "9.0.0"),  # Renoir APUs
)

# --- 4. Torch releases and the wheels they publish ---------------------------------------------

# Platform keys: "<os>-<arch>" with os in linux/windows/macos and arch in x86_64/arm64.
LINUX = "linux-x86_64"
WINDOWS = "windows-x86_64"
LINUX_ARM = "linux-arm64"
MAC_ARM = "macos-arm64"
MAC_INTEL = "macos-x86_64"


@dataclass(frozen=True)
class Release:
    """One torch release: which variants publish wheels where, and for which Pythons."""

    version: str
    python: tuple[tuple[int, int], tuple[int, int]]  # oldest and newest CPython, inclusive
    variants: dict[str, frozenset[str]]  # variant -> platforms with a wheel
    archs: dict[str, ArchList] = field(default_factory=dict)  # exceptions to ARCHS

    def arch(self, variant: str) -> ArchList | None:
        return self.archs.get(variant) or ARCHS.get(variant)

    def has(self, variant: str, platform: str, python: tuple[int, int]) -> bool:
        low, high = self.python
        return low <= python <= high and platform in self.variants.get(variant, frozenset())


def _everywhere(cuda: tuple[str, ...], rocm: str) -> dict[str, frozenset[str]]:
    table = {tag: frozenset((LINUX, WINDOWS)) for tag in cuda}
    table[rocm] = frozenset((LINUX,))
    table["xpu"] = frozenset((LINUX, WINDOWS))
    table["cpu"] = frozenset((LINUX, WINDOWS, LINUX_ARM))
    table["default"] = frozenset((MAC_ARM,))
    return table


# Newest first. 2.13.0 is the CPU build installed on the project's build machine (verified for cpu
# only); its CUDA, ROCm and XPU variants are ASSUMED from the newest published pattern (cu126,
# cu128, cu130; rocm7.2 as comfy-cli and Stability Matrix use, §4.3). Older rows follow the
# download.pytorch.org index layout as summarised in §1.4 (Term-SD's tag list), §4.2 (SD.Next's
# ROCm wheels) and §8 (Python ranges); those are UNVERIFIED against the index itself.
SUPPORTED: tuple[Release, ...] = (
    Release("2.13.0", ((3, 10), (3, 14)),
            _everywhere(("cu126", "cu128", "cu130"), "rocm7.2"), {"cu126": _NO_HOPPER}),
    Release("2.8.0", ((3, 9), (3, 13)),
            _everywhere(("cu126", "cu128", "cu129"), "rocm6.4"),
            {"cu128": _VOLTA_BACK, "cu129": _VOLTA_BACK}),
    Release("2.7.1", ((3, 9), (3, 13)),
            _everywhere(("cu118", "cu126", "cu128"), "rocm6.3")),
    Release("2.6.0", ((3, 9), (3, 13)),
            _everywhere(("cu118", "cu124", "cu126"), "rocm6.2.4")),
    # The last release with Intel-Mac wheels (pytorch/pytorch dropped macOS x86_64 after 2.2);
    # offered for Intel Macs only, as everything else has a newer release.
    Release("2.2.2", ((3, 8), (3, 12)), {"default": frozenset((MAC_INTEL,))}),
)

# Variant names a user may ask for with --variant or SDSETUP_TORCH_VARIANT.
KNOWN_VARIANTS: frozenset[str] = frozenset(
    variant for release in SUPPORTED for variant in release.variants
)
