"""Non-NVIDIA accelerators: AMD through the kernel driver or the ROCm tools, Intel XPU through sycl-ls, Apple Silicon."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sdsetup.bounded import run_bounded
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


def gfx_from_kfd(properties: str) -> str | None:
    """The gfx id of a KFD topology node (``gfx_target_version 110000`` → ``gfx1100``,
    ``90010`` → ``gfx90a``); None for CPU nodes, which report 0."""
    match = re.search(r"^gfx_target_version\s+(\d+)\s*$", properties, re.MULTILINE)
    if not match or int(match.group(1)) == 0:
        return None
    value = int(match.group(1))
    return f"gfx{value // 10000}{value // 100 % 100:x}{value % 100:x}"


KFD_NODES = Path("/sys/class/kfd/kfd/topology/nodes")


def probe_amd(timeout: float, nodes: Path = KFD_NODES) -> tuple[Gpu, ...]:
    """The amdgpu kernel driver lists GPUs in sysfs, so ROCm itself need not be installed (torch's
    ROCm wheels bring their own runtime); the ROCm tools are the fallback."""
    found = []
    for node in sorted(nodes.glob("*/properties")):
        try:
            gfx = gfx_from_kfd(node.read_text(encoding="ascii", errors="replace"))
        except OSError:
            continue
        if gfx:
            found.append(gfx)
    if found:
        return parse_amd_agents("\n".join(found))
    return parse_amd_agents(_run_first(("rocm_agent_enumerator", "rocminfo"), timeout))


def probe_intel(timeout: float) -> tuple[Gpu, ...]:
    return parse_sycl_ls(_run_first(("sycl-ls",), timeout))


def apple_gpu(platform: PlatformInfo) -> tuple[Gpu, ...]:
    """Apple Silicon always has the MPS-capable GPU; Intel Macs get no usable torch backend."""
    return (Gpu("apple", "Apple Silicon"),) if platform.key == "macos-arm64" else ()
