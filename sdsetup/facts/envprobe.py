"""Prove a Python environment's torch: run its own interpreter in a subprocess and read one JSON line.

sdsetup never imports torch itself; :func:`probe_env` asks the managed env's Python for its
versions, the devices torch sees, and whether a random tensor and a small matmul work on the
device we expect. Both ``doctor`` and ``install`` use it. Everything the child printed is kept in
``EnvReport.output`` so known warnings (an arch missing from the build, say) can be diagnosed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sdsetup.bounded import run_bounded

_MARK = "SDSETUP-ENVPROBE "

# Runs inside the env. Kept to the standard library plus torch; prints one marked JSON line last,
# because torch may print its own warnings to stdout first.
PROBE_SCRIPT = r"""
import json, platform, sys
r = {"python": platform.python_version()}
def done():
    print("SDSETUP-ENVPROBE " + json.dumps(r), flush=True)
    sys.exit(0)
try:
    import torch
except BaseException as e:
    r["error"] = "import torch: %s: %s" % (type(e).__name__, e)
    done()
r["torch"] = torch.__version__
r["cuda"] = torch.version.cuda
r["hip"] = getattr(torch.version, "hip", None)
r["cuda_available"] = torch.cuda.is_available()
mps = getattr(torch.backends, "mps", None)
r["mps_available"] = bool(mps is not None and mps.is_available())
xpu = getattr(torch, "xpu", None)
r["xpu_available"] = bool(xpu is not None and xpu.is_available())
if r["cuda_available"]:
    r["device_name"] = torch.cuda.get_device_name(0)
    r["capability"] = "%d.%d" % torch.cuda.get_device_capability(0)
    r["arch_list"] = torch.cuda.get_arch_list()
dev = sys.argv[1]
try:
    a = torch.rand(5, 3, device=dev)
    b = torch.rand(3, 4, device=dev)
    (a @ b).sum().item()
    r["tensor_ok"] = True
except BaseException as e:
    r["tensor_ok"] = False
    r["error"] = "%s: %s" % (type(e).__name__, e)
done()
"""


@dataclass(frozen=True)
class EnvReport:
    device: str
    python_version: str | None = None
    torch_version: str | None = None  # "2.13.0+cpu"
    cuda_version: str | None = None  # torch.version.cuda: the toolkit the wheel was built with
    hip_version: str | None = None
    cuda_available: bool = False
    mps_available: bool = False
    xpu_available: bool = False
    device_name: str | None = None
    capability: str | None = None
    arch_list: tuple[str, ...] = ()
    tensor_ok: bool = False
    error: str | None = None
    output: str = ""

    @property
    def variant(self) -> str | None:
        """The wheel variant from torch's local version label; a plain version is "default"."""
        if not self.torch_version:
            return None
        _, plus, label = self.torch_version.partition("+")
        return label if plus else "default"


def parse_probe_output(text: str, device: str) -> EnvReport:
    """Read the marked JSON line the probe script prints; anything else becomes ``error``."""
    tail = text[-4000:]
    lines = [line for line in text.splitlines() if line.startswith(_MARK)]
    if not lines:
        return EnvReport(device, error=text.strip()[-500:] or "no output", output=tail)
    try:
        data = json.loads(lines[-1][len(_MARK):])
    except json.JSONDecodeError as err:
        return EnvReport(device, error=f"unreadable probe output: {err}", output=tail)
    return EnvReport(
        device=device,
        python_version=data.get("python"),
        torch_version=data.get("torch"),
        cuda_version=data.get("cuda"),
        hip_version=data.get("hip"),
        cuda_available=bool(data.get("cuda_available")),
        mps_available=bool(data.get("mps_available")),
        xpu_available=bool(data.get("xpu_available")),
        device_name=data.get("device_name"),
        capability=data.get("capability"),
        arch_list=tuple(data.get("arch_list") or ()),
        tensor_ok=bool(data.get("tensor_ok")),
        error=data.get("error"),
        output=tail,
    )


def probe_env(python: Path, device: str, timeout: float = 60) -> EnvReport:
    """Run the probe with ``python`` (the env's own interpreter) and report what it found."""
    try:
        out = run_bounded([str(python), "-c", PROBE_SCRIPT, device], timeout)
    except OSError as err:
        return EnvReport(device, error=f"{python}: {err.strerror or err}")
    if out.timed_out:
        return EnvReport(device, error=f"timed out after {timeout:g} s")
    return parse_probe_output(out.stdout, device)
