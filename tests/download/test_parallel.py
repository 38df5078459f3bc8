"""Large files over several connections and mirrors."""

from __future__ import annotations

import re
import time

import pytest

from sdsetup.download import AllSourcesFailed, DownloadItem, fetch, fetch_all
from tests.download.helpers import QUICK, payload, sha
from tests.support.fileserver import Fault, FileServer

MIB = 1024 * 1024


def _starts(server, path):
    return sorted(int(re.match(r"bytes=(\d+)-", r.headers["range"])[1])
                  for r in server.requests_for(path))


def test_ranges_multiply_a_per_connection_cap(server, tmp_path, final_paths):
    data = server.files["/big.bin"] = payload(4 * MIB)
    server.fault("/big.bin", Fault(throttle=2 * MIB))
    dest = final_paths.watch(tmp_path / "big.bin", data)
    started = time.monotonic()
    fetch(DownloadItem((server.url("/big.bin"),), dest, sha256=sha(data)), connections=4,
          progress=False, tuning=QUICK)
    elapsed = time.monotonic() - started
    # One connection needs 2 s; four share the work.
    assert elapsed < 1.4, elapsed
    assert len(set(_starts(server, "/big.bin"))) >= 4
    assert server.bytes_sent["/big.bin"] <= len(data) + 4 * 64 * 1024


def test_pieces_are_retried_independently(server, tmp_path, final_paths):
    data = server.files["/big.bin"] = payload(4 * MIB)
    server.fault("/big.bin", Fault(throttle=4 * MIB, reset_after=300_000, times=6))
    dest = final_paths.watch(tmp_path / "big.bin", data)
    fetch(DownloadItem((server.url("/big.bin"),), dest, sha256=sha(data), size=len(data)),
          connections=4, progress=False, tuning=QUICK)
    assert dest.read_bytes() == data
    # Nothing is fetched twice beyond the chunks in flight when connections broke.
    assert server.bytes_sent["/big.bin"] <= len(data) + 12 * 64 * 1024


def test_pieces_spread_over_mirrors_and_a_failing_one_is_benched(tmp_path, final_paths):
    data = payload(4 * MIB)
    with FileServer({"/big.bin": data}) as a, FileServer({"/big.bin": data}) as b, \
            FileServer({"/big.bin": data}) as broken:
        for srv in (a, b):
            srv.fault("/big.bin", Fault(throttle=1 * MIB))
        broken.fault("/big.bin", Fault(fail_first=10_000, fail_status=503))
        dest = final_paths.watch(tmp_path / "big.bin", data)
        fetch(DownloadItem((broken.url("/big.bin"), a.url("/big.bin"), b.url("/big.bin")), dest,
                           sha256=sha(data)), connections=4, progress=False, tuning=QUICK)
        assert a.bytes_sent["/big.bin"] > MIB and b.bytes_sent["/big.bin"] > MIB
        # Benched after bench_after failures: it is not asked again and again.
        assert len(broken.requests) <= QUICK.bench_after + 1


def test_a_slow_piece_is_split_again(tmp_path, final_paths):
    data = payload(4 * MIB)
    with FileServer({"/big.bin": data}) as slow, FileServer({"/big.bin": data}) as fast:
        slow.fault("/big.bin", Fault(throttle=256 * 1024))
        fast.fault("/big.bin", Fault(throttle=4 * MIB))
        dest = final_paths.watch(tmp_path / "big.bin", data)
        started = time.monotonic()
        fetch(DownloadItem((slow.url("/big.bin"), fast.url("/big.bin")), dest, sha256=sha(data)),
              connections=2, progress=False, tuning=QUICK)
        # Half the file on the slow mirror alone would take 8 s.
        assert time.monotonic() - started < 6
        assert fast.bytes_sent["/big.bin"] > 3 * MIB


def test_fetch_all_brings_many_files(server, tmp_path, final_paths):
    files = {f"/w{i}.whl": payload(50_000 + i, seed=i) for i in range(6)}
    server.files.update(files)
    items = [DownloadItem((server.url(p),), final_paths.watch(tmp_path / p[1:], d), sha256=sha(d))
             for p, d in files.items()]
    paths = fetch_all(items, progress=False, tuning=QUICK, parallel_files=3)
    assert paths == [item.dest for item in items]
    assert all(p.read_bytes() == files["/" + p.name] for p in paths)


def test_fetch_all_reuses_connections_across_files(server, tmp_path):
    files = {f"/w{i}.whl": payload(20_000, seed=i) for i in range(5)}
    server.files.update(files)
    items = [DownloadItem((server.url(p),), tmp_path / p[1:], sha256=sha(d))
             for p, d in files.items()]
    fetch_all(items, progress=False, tuning=QUICK, parallel_files=1)
    assert len({r.peer for r in server.requests}) == 1


def test_a_failed_file_stops_the_batch_and_keeps_progress(server, tmp_path):
    big = server.files["/big.whl"] = payload(4 * MIB)
    server.fault("/big.whl", Fault(throttle=256 * 1024))
    server.files["/flaky.whl"] = b"x"
    server.fault("/flaky.whl", Fault(fail_first=1000, fail_status=503))
    items = [DownloadItem((server.url("/big.whl"),), tmp_path / "big.whl", sha256=sha(big)),
             DownloadItem((server.url("/flaky.whl"),), tmp_path / "flaky.whl")]
    started = time.monotonic()
    with pytest.raises(AllSourcesFailed):
        fetch_all(items, connections=1, progress=False, tuning=QUICK, parallel_files=2)
    assert time.monotonic() - started < 8  # the big file alone needs 16 s
    assert (tmp_path / "big.whl.part.json").exists() and not (tmp_path / "big.whl").exists()
    assert not (tmp_path / "flaky.whl.part").exists()  # size never known: nothing to resume
