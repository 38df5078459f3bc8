"""Plain downloads: one stream, resume from a sidecar, sha256, atomic rename, cache."""

from __future__ import annotations

import time

import pytest

from sdsetup.download import DownloadItem, HashMismatch, fetch, partstate, redact_url
from sdsetup.download.partstate import PartState
from tests.download.helpers import QUICK, payload, sha


def test_small_file_lands_verified(server, tmp_path, final_paths):
    data = payload(300_000)
    server.files["/a.bin"] = data
    dest = final_paths.watch(tmp_path / "a.bin", data)
    got = fetch(DownloadItem((server.url("/a.bin"),), dest, sha256=sha(data).upper()),
                progress=False, tuning=QUICK)
    assert got == dest and dest.read_bytes() == data
    leftovers = ("a.bin.part", "a.bin.part.json", "a.bin.lock")
    assert not any((tmp_path / name).exists() for name in leftovers)
    first = server.requests[0].headers
    assert first["range"] == "bytes=0-"
    assert first["accept-encoding"] == "identity"
    assert first["user-agent"].startswith("sdsetup/")


def test_wrong_hash_never_lands(server, tmp_path, final_paths):
    data = payload(100_000)
    server.files["/a.bin"] = data
    dest = final_paths.watch(tmp_path / "a.bin", data)
    with pytest.raises(HashMismatch) as err:
        fetch(DownloadItem((server.url("/a.bin"),), dest, sha256="0" * 64), progress=False,
              tuning=QUICK)
    assert not dest.exists() and not (tmp_path / "a.bin.part").exists()
    assert "127.0.0.1" in str(err.value)


def test_cache_serves_a_second_copy_without_network(server, tmp_path, final_paths):
    data = payload(200_000)
    server.files["/a.bin"] = data
    cache = tmp_path / "cache"
    item = DownloadItem((server.url("/a.bin"),), tmp_path / "one" / "a.bin", sha256=sha(data))
    fetch(item, cache_dir=cache, progress=False, tuning=QUICK)
    served = len(server.requests)
    other = final_paths.watch(tmp_path / "two" / "a.bin", data)
    fetch(DownloadItem(("http://127.0.0.1:9/nowhere",), other, sha256=sha(data)),
          cache_dir=cache, progress=False, tuning=QUICK)
    assert other.read_bytes() == data and len(server.requests) == served
    assert (cache / "sha256" / sha(data)[:2] / sha(data)).read_bytes() == data


def test_waiting_for_another_process_is_announced(server, tmp_path, final_paths, capsys):
    import dataclasses
    import threading

    from sdsetup.download.lock import locked

    data = payload(100_000)
    server.files["/a.bin"] = data
    dest = final_paths.watch(tmp_path / "a.bin", data)
    tuning = dataclasses.replace(QUICK, lock_notice=0.1)
    release = threading.Event()

    def other_process():
        with locked(dest, 0.01, 10.0, lambda: None):
            release.wait(5)

    holder = threading.Thread(target=other_process)
    holder.start()
    time.sleep(0.1)
    threading.Timer(0.5, release.set).start()
    fetch(DownloadItem((server.url("/a.bin"),), dest), progress=False, tuning=tuning)
    holder.join()
    assert "another sdsetup process is downloading" in capsys.readouterr().err
    # Even without a hash the lock file goes: a waiter re-checks that it locked the file that is
    # still there, so removing it cannot let two runs overlap.
    assert dest.read_bytes() == data and not (tmp_path / "a.bin.lock").exists()


def test_a_part_of_another_file_is_not_resumed_into(server, tmp_path, final_paths):
    first, second = payload(300_000, seed=1), payload(300_000, seed=2)
    server.files["/two.bin"] = second
    dest = final_paths.watch(tmp_path / "x.bin", second)
    # What a killed download of another URL to the same path leaves behind.
    (tmp_path / "x.bin.part").write_bytes(first[:100_000] + bytes(200_000))
    partstate.save(dest, PartState(redact_url(server.url("/one.bin")), 300_000, None, None,
                                   None, ((0, 100_000),)))
    fetch(DownloadItem((server.url("/two.bin"),), dest), progress=False, tuning=QUICK)
    assert dest.read_bytes() == second
    assert server.requests_for("/two.bin")[0].headers["range"] == "bytes=0-"


def test_a_part_of_the_same_url_is_resumed(server, tmp_path, final_paths):
    data = server.files["/one.bin"] = payload(300_000)
    dest = final_paths.watch(tmp_path / "x.bin", data)
    (tmp_path / "x.bin.part").write_bytes(data[:100_000] + bytes(200_000))
    partstate.save(dest, PartState(redact_url(server.url("/one.bin")), 300_000, None, None,
                                   None, ((0, 100_000),)))
    fetch(DownloadItem((server.url("/one.bin"),), dest, sha256=sha(data)), progress=False,
          tuning=QUICK)
    assert server.requests_for("/one.bin")[0].headers["range"] == "bytes=100000-299999"


def test_lock_files_never_outlive_their_holder_and_still_exclude(tmp_path):
    """Many threads take turns on one destination: never two inside at once, no .lock left."""
    import threading

    from sdsetup.download.lock import locked

    dest, inside, overlaps, turns = tmp_path / "x.bin", [], [], []

    def worker():
        for _ in range(20):
            with locked(dest, 0.001, 10.0, lambda: None):
                inside.append(1)
                if len(inside) > 1:
                    overlaps.append(1)
                time.sleep(0.001)
                inside.pop()
                turns.append(1)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == [] and len(turns) == 120 and list(tmp_path.iterdir()) == []
