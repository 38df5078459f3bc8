"""Fixtures of the install tests: tiny real wheels, a lock for them, and loopback mirrors.

The tiny set is three real wheels built here: ``torch`` (a stand-in that answers the env probe:
version, devices, rand, matmul), ``sdt-alpha`` (needs sdt-beta) and ``sdt-beta``. pip and uv
install them like any wheel, so every install path runs for real in seconds; only the big CPU test
(test_install_cpu.py) installs the real torch.
"""

from __future__ import annotations

import base64
import hashlib
import html
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from sdsetup.install.venv import LOCK_PLATFORMS

TORCH_VERSION = "2.13.0+cpu"
TORCH_FILE = "torch-2.13.0+cpu-py3-none-any.whl"
PYTHON_TAG = f"cp{sys.version_info.major}{sys.version_info.minor}"
LOCK_PLATFORM = LOCK_PLATFORMS.get(sysconfig.get_platform(), sysconfig.get_platform().replace("-", "_"))

FAKE_TENSORS = '''

class _Tensor:
    def __matmul__(self, other):
        return self

    def sum(self):
        return self

    def item(self):
        return 0.0


def rand(*shape, device="cpu"):
    if device == "cuda" and not cuda.is_available():
        raise RuntimeError("no CUDA device")
    return _Tensor()
'''
"""What the env probe does with tensors; every fake torch module ends with it (it needs ``cuda``)."""

FAKE_TORCH = f'''
"""A stand-in for torch: just what sdsetup's env probe touches."""
__version__ = "{TORCH_VERSION}"


class version:
    cuda = None
    hip = None


class cuda:
    @staticmethod
    def is_available():
        return False


class backends:
    mps = None
''' + FAKE_TENSORS


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_wheel(folder: Path, project: str, version: str, modules: dict[str, str],
               requires: tuple[str, ...] = (), tag: str = "py3-none-any") -> Path:
    """A real, installable wheel with a valid RECORD."""
    dist = f"{project.replace('-', '_')}-{version}"
    info = f"{dist}.dist-info"
    files = {f"{name}.py": text.encode() for name, text in modules.items()}
    files[f"{info}/METADATA"] = "".join(
        [f"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n"]
        + [f"Requires-Dist: {r}\n" for r in requires]).encode()
    files[f"{info}/WHEEL"] = (f"Wheel-Version: 1.0\nGenerator: sdsetup-tests\nRoot-Is-Purelib: true\n"
                              f"Tag: {tag}\n").encode()
    record = [f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},"
              f"{len(data)}" for name, data in files.items()]
    files[f"{info}/RECORD"] = ("\n".join(record + [f"{info}/RECORD,,"]) + "\n").encode()
    path = folder / f"{dist}-{tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def project_of(filename: str) -> str:
    return filename.split("-")[0].replace("_", "-").lower()


def pep503(wheels: dict[str, bytes], prefix: str = "/simple", hashes: bool = True) -> dict[str, bytes]:
    """Server paths → bytes of a PEP 503 index holding these wheels."""
    served: dict[str, bytes] = {}
    pages: dict[str, list[str]] = {}
    for name, data in wheels.items():
        project = project_of(name)
        served[f"{prefix}/{project}/{quote(name)}"] = data
        fragment = f"#sha256={sha256(data)}" if hashes else ""
        pages.setdefault(project, []).append(f'<a href="{quote(name)}{fragment}">{html.escape(name)}</a>')
    for project, links in pages.items():
        served[f"{prefix}/{project}/"] = ("<html><body>" + "<br>".join(links) + "</body></html>").encode()
    served[f"{prefix}/"] = "".join(f'<a href="{p}/">{p}</a>' for p in pages).encode()
    return served


def flat(wheels: dict[str, bytes], prefix: str = "/flat") -> dict[str, bytes]:
    """An Aliyun-style listing: one page of every wheel, ``+`` escaped as ``&#43;``, no hashes."""
    served = {f"{prefix}/{quote(name)}": data for name, data in wheels.items()}
    links = "".join(f'<a href="{quote(name)}">{name.replace("+", "&#43;")}</a>\n' for name in wheels)
    served[f"{prefix}/"] = f"<html><body><pre>{links}</pre></body></html>".encode()
    return served


@dataclass(frozen=True)
class TinySet:
    wheels: dict[str, bytes]
    lock: Path
    """webui lock of sdt-alpha and sdt-beta; torch.toml beside it pins the fake torch."""
    lock_tofu: Path
    """The same lock, beside a torch.toml that gives no sha256 for torch."""


def _write_locks(folder: Path, wheels: dict[str, bytes], torch_sha: str | None) -> Path:
    folder.mkdir(parents=True)
    lines = []
    for name, data in sorted(wheels.items()):
        if name.startswith("torch-"):
            continue
        project, version = project_of(name), name.split("-")[1]
        lines.append(f"{project}=={version} \\\n    --hash=sha256:{sha256(data)}\n    # via tests\n")
    lock = folder / "webui.txt"
    lock.write_text("# tiny lock\n" + "".join(lines), encoding="utf-8")
    pin = (f'[[wheel]]\nrelease = "2.13.0"\nvariant = "cpu"\npython = "{PYTHON_TAG}"\n'
           f'platform = "{LOCK_PLATFORM}"\nfile = "{TORCH_FILE}"\n')
    if torch_sha:
        pin += f'sha256 = "{torch_sha}"\n'
    (folder / "torch.toml").write_text(pin, encoding="utf-8")
    return lock


@pytest.fixture(scope="session")
def tiny_set(tmp_path_factory) -> TinySet:
    root = tmp_path_factory.mktemp("tiny")
    built = root / "wheels"
    built.mkdir()
    make_wheel(built, "torch", TORCH_VERSION, {"torch": FAKE_TORCH})
    make_wheel(built, "sdt-alpha", "1.0", {"sdt_alpha": "import sdt_beta\nVALUE = sdt_beta.VALUE + 1\n"},
               requires=("sdt-beta==2.0",))
    make_wheel(built, "sdt-beta", "2.0", {"sdt_beta": "VALUE = 41\n"})
    wheels = {p.name: p.read_bytes() for p in built.iterdir()}
    return TinySet(wheels, _write_locks(root / "lock", wheels, sha256(wheels[TORCH_FILE])),
                   _write_locks(root / "lock-tofu", wheels, None))
