"""`sdsetup mirror export`: the cache as a static PEP 503 tree that installs on another machine."""

from __future__ import annotations

import httpx
import pytest

from sdsetup.install.index import IndexReader
from tests.install.conftest import TORCH_FILE


@pytest.mark.slow
def test_exported_tree_is_an_index_for_http_and_for_a_folder(run_cli, sdsetup_home, tiny_set, tmp_path):
    wheels = sdsetup_home / "cache" / "wheels"
    wheels.mkdir(parents=True)
    for name, data in tiny_set.wheels.items():
        (wheels / name).write_bytes(data)
    (wheels / "notes.txt").write_text("not a wheel", encoding="utf-8")
    usb = tmp_path / "usb" / "wheelhouse"
    done = run_cli("mirror", "export", str(usb))
    assert done.returncode == 0, done.stderr
    assert "3 wheels of 3 projects" in done.stdout
    assert (usb / "torch" / TORCH_FILE).is_file() and not (usb / "notes.txt").exists()
    with httpx.Client() as client:
        files = IndexReader(client).project_files("torch", indexes=[usb.as_uri()])
    assert [f.filename for f in files] == [TORCH_FILE] and files[0].sha256

    # Another machine: its own home, the USB folder as the only mirror.
    other = tmp_path / "other-home"
    installed = run_cli("install", "--mirror", str(usb), "--variant", "cpu", "--lock", str(tiny_set.lock),
                        env={"SDSETUP_HOME": str(other)}, timeout=300)
    assert installed.returncode == 0, installed.stderr
    assert (other / "env" / "sdsetup-install.json").is_file()


def test_export_of_an_empty_cache_says_how_to_fill_it(run_cli, tmp_path):
    done = run_cli("mirror", "export", str(tmp_path / "out"))
    assert done.returncode == 1
    assert "hint: sdsetup install" in done.stderr
