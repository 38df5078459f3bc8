"""The real command in real processes: killed mid-file and restarted, run twice at once, and
what users see on the terminal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from sdsetup.download import Tuning
from tests.download.helpers import payload, sha
from tests.support.fileserver import Fault, FileServer

MIB = 1024 * 1024


def _start(args, home, cwd):
    env = dict(os.environ, SDSETUP_HOME=str(home), SDSETUP_LANG="en")
    return subprocess.Popen([sys.executable, "-m", "sdsetup", "download", "--quiet", *args],
                            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _done_bytes(sidecar):
    try:
        spans = json.loads(sidecar.read_text())["done"]
    except (OSError, ValueError):
        return 0
    return sum(end - start for start, end in spans)


def test_killed_mid_file_continues_where_it_stopped(sdsetup_home, tmp_path):
    size = 40 * MIB  # above the split threshold, so four connections work at once
    data = payload(size)
    with FileServer({"/model.safetensors": data}, link_rate=16 * MIB) as server:
        dest = tmp_path / "model.safetensors"
        args = [server.url("/model.safetensors"), "-o", str(dest), "--sha256", sha(data),
                "--connections", "4"]
        first = _start(args, sdsetup_home, tmp_path)
        sidecar = tmp_path / "model.safetensors.part.json"
        deadline = time.monotonic() + 30
        while _done_bytes(sidecar) < size // 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert not dest.exists() and size // 2 <= _done_bytes(sidecar) < size
        saved = json.loads(sidecar.read_text())["done"]
        asked_before = len(server.requests)
        second = _start(args, sdsetup_home, tmp_path)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
        assert out.strip().splitlines()[-1] == str(dest)
        assert dest.read_bytes() == data
        # Only what arrived after the last saved progress is fetched twice: about one piece.
        refetched = server.bytes_sent["/model.safetensors"] - size
        assert refetched <= Tuning().min_piece + MIB, refetched
        for request in server.requests[asked_before:]:
            start = int(request.headers["range"].split("=")[1].split("-")[0])
            assert not any(s <= start < e for s, e in saved), (request.headers["range"], saved)


def test_two_processes_fetch_one_file_once(sdsetup_home, tmp_path):
    data = payload(6 * MIB)
    with FileServer({"/w.whl": data}, link_rate=8 * MIB) as server:
        dest = tmp_path / "w.whl"
        args = [server.url("/w.whl"), "-o", str(dest), "--sha256", sha(data)]
        procs = [_start(args, sdsetup_home, tmp_path) for _ in range(2)]
        results = [p.communicate(timeout=60) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], results
        assert all(out.strip().splitlines()[-1] == str(dest) for out, _ in results)
        assert dest.read_bytes() == data
        # The second waited for the first and found the file done: fetched once.
        assert server.bytes_sent["/w.whl"] <= len(data) + MIB


def test_cli_prints_the_final_path_last(run_cli, tmp_path):
    data = payload(100_000)
    with FileServer({"/dir/name%20x.bin": data}) as server:
        folder = tmp_path / "out"
        folder.mkdir()
        result = run_cli("download", "--quiet", server.url("/dir/name%20x.bin"), "-o", str(folder),
                         "--size", str(len(data)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(folder / "name x.bin")
    assert (folder / "name x.bin").read_bytes() == data


def test_cli_failure_is_one_error_and_one_hint(run_cli, tmp_path):
    data = payload(1000)
    with FileServer({"/a.bin": data}) as server:
        result = run_cli("download", "--quiet", server.url("/a.bin"), "-o",
                         str(tmp_path / "a.bin"), "--sha256", "ab" * 32)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and "sha256" in lines[0]
    assert lines[-1].startswith("hint: ") and "Traceback" not in result.stderr
    assert not (tmp_path / "a.bin").exists() and result.stdout == ""


@pytest.mark.parametrize("args", [
    ["ftp://example/x"],
    ["http://127.0.0.1:9/x", "--sha256", "xyz"],
    ["http://127.0.0.1:9/x", "--connections", "99"],
])
def test_cli_rejects_bad_input_with_usage_status(run_cli, args):
    result = run_cli("download", *args)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "hint: " in result.stderr


def test_cli_disk_full_is_reported_before_downloading(run_cli, tmp_path):
    with FileServer({"/a.bin": b"x"}) as server:
        result = run_cli("download", "--quiet", server.url("/a.bin"), "-o",
                         str(tmp_path / "a.bin"), "--size", str(1 << 49))
        assert server.requests == []
    assert result.returncode == 1
    assert "not enough disk space" in result.stderr


def test_cli_speaks_chinese(run_cli):
    result = run_cli("download", "ftp://example/x", env={"SDSETUP_LANG": "zh_CN"})
    assert "不是可用的 http(s) 地址" in result.stderr and "开头" in result.stderr


def test_cli_names_an_api_download_from_the_server(run_cli, tmp_path):
    data = payload(10_000)
    path = "/api/download/models/123"
    with FileServer() as api, FileServer({path: data}) as cdn:
        api.files[path] = b""
        api.fault(path, Fault(redirect_to=cdn.base))
        cdn.headers[path] = {"Content-Disposition":
                             "attachment; filename=\"x.bin\"; filename*=UTF-8''"
                             "%E6%A8%A1%E5%9E%8B%2F..%2Fv1.safetensors"}
        result = run_cli("download", "--quiet", api.url("/api/download/models/123"), "-o",
                         str(tmp_path) + "/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(tmp_path / "v1.safetensors")
    assert (tmp_path / "v1.safetensors").read_bytes() == data


def test_ctrl_c_keeps_the_part_and_says_how_to_continue(sdsetup_home, tmp_path):
    data = payload(8 * MIB)
    with FileServer({"/w.whl": data}, link_rate=2 * MIB) as server:
        dest = tmp_path / "w.whl"
        proc = _start([server.url("/w.whl"), "-o", str(dest)], sdsetup_home, tmp_path)
        sidecar = tmp_path / "w.whl.part.json"
        deadline = time.monotonic() + 20
        while _done_bytes(sidecar) < MIB and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130
    assert "run the same command again" in err and "Traceback" not in err
    assert not dest.exists() and _done_bytes(sidecar) >= MIB


_SMALL_FILESYSTEM = (
    # A process file-size limit fails writes with EFBIG, as a FAT32 disk does at 4 GiB.
    "import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
    "resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20)); "
    "from sdsetup.cli import main; sys.exit(main(sys.argv[1:]))"
)


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
@pytest.mark.parametrize("size_known", [True, False])
def test_a_file_too_large_for_the_disk_is_a_clear_error(sdsetup_home, tmp_path, size_known):
    data = payload(3 * MIB)
    with FileServer({"/m.ckpt": data}) as server:
        dest = tmp_path / "m.ckpt"
        extra = ["--size", str(len(data))] if size_known else []
        result = subprocess.run(
            [sys.executable, "-c", _SMALL_FILESYSTEM, "download", "--quiet",
             server.url("/m.ckpt"), "-o", str(dest), *extra],
            env=dict(os.environ, SDSETUP_HOME=str(sdsetup_home), SDSETUP_LANG="en"),
            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "cannot hold a file of 3145728 bytes" in result.stderr
    assert "Traceback" not in result.stderr and not dest.exists()
    assert dest.with_name("m.ckpt.part").exists()


@pytest.fixture
def tiny_disk(tmp_path):
    """A 256 KiB tmpfs (needs the right to mount, as root in a container has; skipped otherwise)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    yield disk
    subprocess.run(["umount", str(disk)], check=True)


@pytest.mark.parametrize("fault", [Fault(no_length=True, ignore_range=True), Fault()],
                         ids=["unknown-size", "known-size"])
def test_disk_full_mid_stream_says_what_happened(run_cli, tiny_disk, fault):
    """The disk fills up during the download (the size is unknown, or known but the server is
    not asked first): the message says what was removed, never "0 bytes needed"."""
    with FileServer({"/a.bin": payload(1_000_000)}) as server:
        server.fault("/a.bin", fault)
        result = run_cli("download", "--quiet", server.url("/a.bin"), "-o", str(tiny_disk / "a.bin"))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "disk filled up" in result.stderr and "was removed" in result.stderr
    assert "0 bytes needed" not in result.stderr and "kept" not in result.stderr
    assert list(tiny_disk.iterdir()) == []  # no .part, no .part.json, no .lock
