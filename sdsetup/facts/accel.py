"""Non-NVIDIA accelerators: AMD through the ROCm tools, Intel XPU through sycl-ls, Apple Silicon."""

from __future__ import annotations

import re
import shutil

from sdsetup.facts.bounded import run_bounded
from sdsetup.facts.model import Gpu, PlatformInfo

_GFX = re.compile(r"\b(gfx[0-9a-f]{3,4})\b")


def parse_amd_agents(text: str) -> tuple[Gpu, ...]:
    """GPUs from ``rocm_agent_enumerator`` or ``rocminfo`` output; gfx000 is the CPU agent."""
    seen = dict.fromkeys(gfx for gfx in _GFX.findall(text) if gfx != "gfx000")
    return tuple(Gpu("amd", f"AMD {gfx}", gfx=gfx) for gfx in seen)


_SYCL_GPU = re.compile(r"\[level_zero:gpu\]\S*\s+Intel\(R\) Level-Zero,\s+(.+?)\s+\d+\.\d+")


def parse_sycl_ls(text: str) -> tuple[Gpu, ...]:
    """Intel GPUs in ``sycl-ls`` output (the Level-Zero lines)."""
    return tuple(Gpu("intel", match.group(1)) for match in _SYCL_GPU.finditer(text))


def _run_first(tools: tuple[str, ...], timeout: float) -> str:
    for tool in tools:
        path = shutil.which(tool)
        if path:
            out = run_bounded([path], timeout)
            if out.returncode == 0:
                return out.stdout
    return ""


def probe_amd(timeout: float) -> tuple[Gpu, ...]:
    return parse_amd_agents(_run_first(("rocm_agent_enumerator", "rocminfo"), timeout))


def probe_intel(timeout: float) -> tuple[Gpu, ...]:
    return parse_sycl_ls(_run_first(("sycl-ls",), timeout))


def apple_gpu(platform: PlatformInfo) -> tuple[Gpu, ...]:
    """Apple Silicon always has the MPS-capable GPU; Intel Macs get no usable torch backend."""
    return (Gpu("apple", "Apple Silicon"),) if platform.key == "macos-arm64" else ()
