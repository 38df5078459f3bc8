"""The torch wheel's own requirements against the planned pins: a pure table, and real wheels."""

from __future__ import annotations

import pytest

from sdsetup.errors import SdsetupError
from sdsetup.install.lockfile import Pin
from sdsetup.install.wheelmeta import marker_environment, read_metadata, requires_dist, unmet_requirements
from tests.install.conftest import make_wheel

LINUX_311 = marker_environment("linux_x86_64", "3.11.7")
WINDOWS_312 = marker_environment("win_amd64", "3.12.1")
PINS = (Pin("nvidia-cudnn-cu12", "9.5.1.17", frozenset({"a" * 64})),
        Pin("triton", "3.7.1", frozenset({"b" * 64})), Pin("sympy", "1.13.3", frozenset({"c" * 64})))


def metadata(*requires: str) -> str:
    return "Metadata-Version: 2.1\nName: torch\nVersion: 2.13.0+cu126\n" + "".join(
        f"Requires-Dist: {line}\n" for line in requires)


CASES = [
    ("all satisfied", LINUX_311, ("nvidia-cudnn-cu12==9.5.1.17; platform_system == 'Linux'",
                                  "triton==3.7.1; platform_system == 'Linux'", "sympy>=1.13.3",
                                  "filelock"), ()),
    ("a pinned runtime wheel the lock lacks",
     LINUX_311, ("nvidia-cublas-cu12==12.6.4.1; platform_system == 'Linux'",),
     ("nvidia-cublas-cu12==12.6.4.1",)),
    ("the lock pins another version", LINUX_311, ("nvidia-cudnn-cu12==9.8.0.87",),
     ("nvidia-cudnn-cu12==9.8.0.87 (locked: 9.5.1.17)",)),
    ("a floor the lock is below", LINUX_311, ("sympy>=1.14",), ("sympy>=1.14 (locked: 1.13.3)",)),
    ("Linux-only requirements do not apply on Windows", WINDOWS_312,
     ("nvidia-cublas-cu12==12.6.4.1; platform_system == 'Linux'",), ()),
    ("python markers are the target's", LINUX_311,
     ("setuptools==80.0; python_version >= '3.12'",), ()),
    ("extras are optional", LINUX_311, ("optree==0.13.0; extra == 'optree'",), ()),
    ("unpinned and absent is the main lock's business", LINUX_311, ("fsspec>=0.8.5",), ()),
]


@pytest.mark.parametrize("name,environment,requires,unmet", CASES, ids=[c[0] for c in CASES])
def test_unmet_requirements(name, environment, requires, unmet):
    assert unmet_requirements(metadata(*requires), PINS, environment) == unmet


def test_marker_environment_and_malformed_lines():
    assert WINDOWS_312["platform_machine"] == "AMD64" and WINDOWS_312["python_version"] == "3.12"
    assert [str(r) for r in requires_dist(metadata("not a requirement ===", "triton==3.7.1"))] \
        == ["triton==3.7.1"]


def test_metadata_is_read_from_a_real_wheel_and_a_broken_one_is_an_error(tmp_path):
    wheel = make_wheel(tmp_path, "torch", "2.13.0+cu126", {"torch": ""},
                       requires=("nvidia-fake-cu12==1.0",))
    assert [str(r) for r in requires_dist(read_metadata(wheel))] == ["nvidia-fake-cu12==1.0"]
    broken = tmp_path / "broken.whl"
    broken.write_bytes(b"not a zip")
    with pytest.raises(SdsetupError) as caught:
        read_metadata(broken)
    assert caught.value.key == "install.wheel_no_metadata"
