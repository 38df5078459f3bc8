"""Fixtures of the doctor tests: real captures, fake nvidia-smi executables, facts builders."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from sdsetup.facts.model import Gpu, MachineFacts, PlatformInfo, PythonInfo

FIXTURES = Path(__file__).parent / "fixtures"
TABLES = FIXTURES / "nvidia-smi"
QUERIES = FIXTURES / "nvidia-smi-query"

# A stand-in for nvidia-smi that behaves like the real tool: the query form prints the CSV (or
# fails with exit 2 on a field the driver lacks), no arguments print the table; it can also hang
# or print garbage. Its behaviour comes from the JSON file beside it.
_FAKE_SMI = r'''
import json, sys, time
from pathlib import Path
spec = json.loads((Path(__file__).parent / "fake-smi.json").read_text())
if spec.get("hang"):
    time.sleep(60)
args = sys.argv[1:]
if args and args[0].startswith("--query-gpu="):
    fields = args[0].split("=", 1)[1].split(",")
    if "compute_cap" in fields and spec.get("no_compute_cap"):
        print('Field "compute_cap" is not a valid field to query.')
        sys.exit(2)
    text = spec.get("query")
    if text is None:
        print("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")
        sys.exit(9)
    sys.stdout.write(text)
else:
    sys.stdout.write(spec.get("table", ""))
'''


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.fixture
def fake_smi(tmp_path: Path):
    """``fake_smi(table=..., query=..., no_compute_cap=..., hang=...)`` → an env with it on PATH."""

    def make(**spec) -> dict[str, str]:
        bin_dir = tmp_path / "fake-bin"
        bin_dir.mkdir(exist_ok=True)
        (bin_dir / "fake-smi.json").write_text(json.dumps(spec), encoding="utf-8")
        script = bin_dir / "nvidia-smi"
        script.write_text(f"#!{sys.executable}\n{_FAKE_SMI}", encoding="utf-8")
        script.chmod(0o755)
        return {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}

    return make


def capture(prefix: str) -> dict:
    """The spec of a fake nvidia-smi replaying the captures whose name starts with ``prefix``."""
    table = next(TABLES.glob(prefix + "*.txt"))
    query = next(QUERIES.glob(prefix + "*.csv"), None)
    spec: dict = {"table": read(table)}
    if query is not None and not query.name.endswith(".nocap.csv"):
        spec["query"] = read(query)
    elif query is not None:
        spec.update(query=read(query), no_compute_cap=True)
    return spec


LINUX = PlatformInfo("linux", "x86_64", "6.8.0")
WINDOWS = PlatformInfo("windows", "x86_64", "10")
WSL = PlatformInfo("linux", "x86_64", "5.15.153.1-microsoft-standard-WSL2", wsl=True)
MAC_ARM = PlatformInfo("macos", "arm64", "24.0")
MAC_INTEL = PlatformInfo("macos", "x86_64", "21.0")


def facts(platform: PlatformInfo = LINUX, python: tuple[int, int, int] = (3, 11, 9),
          gpus: tuple[Gpu, ...] = (), driver: str | None = None, cuda: str | None = None,
          bits: int = 64) -> MachineFacts:
    return MachineFacts(
        platform=platform,
        python=PythonInfo(python, "cpython", bits, "python"),
        gpus=gpus,
        nvidia_driver=driver,
        cuda_driver=cuda,
        driver_source="nvidia-smi" if driver else None,
    )


def nvidia(name: str, capability: str | None, driver: str = "550.54.14") -> Gpu:
    return Gpu("nvidia", name, 8192, driver, capability)
