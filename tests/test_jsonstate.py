"""sdsetup's small JSON files: atomic writes that concurrent processes cannot break, and reads
that never crash on a hand-edited file."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from sdsetup.jsonstate import read_json, write_json


def test_round_trip_and_no_temporary_files_left(tmp_path: Path):
    target = tmp_path / "deep" / "state.json"
    write_json(target, {"b": 1, "a": "模型"})
    assert read_json(target) == {"a": "模型", "b": 1}
    assert [p.name for p in target.parent.iterdir()] == ["state.json"]


def test_missing_broken_and_wrong_shape_read_as_the_default(tmp_path: Path):
    target = tmp_path / "state.json"
    assert read_json(target) is None
    target.write_text("{half", encoding="utf-8")
    assert read_json(target, {}) == {}
    target.write_text("[1, 2]", encoding="utf-8")
    assert read_json(target) is None and read_json(target, {}) == {}
    assert read_json(target, shape=list) == [1, 2]
    assert read_json(target, shape=object) == [1, 2]


def _writer(path: str, worker: int) -> None:
    for round_ in range(60):
        write_json(Path(path), {"worker": worker, "round": round_, "pad": "x" * 4096})


def test_concurrent_writers_never_break_the_file(tmp_path: Path):
    target = tmp_path / "state.json"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(target), n)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert all(worker.exitcode == 0 for worker in workers)
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["round"] == 59
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
