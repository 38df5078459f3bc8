"""``models list`` and ``models verify`` on real files in an A1111 layout, and the hash cache."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

import tests.models.models_testkit as kit
from sdsetup.models.hashcache import HashCache

LORA = kit.safetensors_bytes(kit.SDXL_LORA)
CHECKPOINT = kit.safetensors_bytes(kit.SD1_INPAINT_CHECKPOINT, dtype="U8")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _put(path: Path, data: bytes, recorded_sha: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if recorded_sha is not None:
        sidecar = path.with_name(path.stem + ".civitai.json")
        sidecar.write_text(json.dumps({"id": 1, "files": [], "_sdsetup": {"sha256": recorded_sha}}))
    return path


@pytest.fixture
def a1111(tmp_path: Path) -> Path:
    """An existing webui folder with a few models, one of them broken, one changed since."""
    models = tmp_path / "webui" / "models"
    _put(models / "Lora" / "sub" / "xl_style.safetensors", LORA, _sha(LORA))
    _put(models / "Stable-diffusion" / "inpaint.safetensors", CHECKPOINT, _sha(CHECKPOINT))
    _put(models / "Stable-diffusion" / "cut.safetensors", CHECKPOINT[:-7])
    _put(models / "VAE" / "changed.safetensors", LORA, "0" * 64)
    _put(models / "Lora" / ".incoming" / "hidden.safetensors", LORA)
    _put(models / "Lora" / "notes.txt", b"not a model")
    _put(models / "LyCORIS" / "locon.safetensors", LORA)
    _put(tmp_path / "webui" / "embeddings" / "old.pt", b"\x80\x02" + b"\0" * 30)
    return models


def _by_name(rows: list[dict]) -> dict[str, dict]:
    return {row["name"]: row for row in rows}


def test_list_reads_headers_without_hashing(a1111, run_cli, sdsetup_home):
    result = run_cli("models", "list", "--json", "--models-dir", str(a1111))
    assert result.returncode == 0, result.stderr
    rows = _by_name(json.loads(result.stdout))
    assert set(rows) == {"xl_style.safetensors", "inpaint.safetensors", "cut.safetensors",
                         "changed.safetensors", "old.pt", "locon.safetensors"}
    assert rows["locon.safetensors"]["type"] == "lora"
    assert (rows["xl_style.safetensors"]["type"], rows["xl_style.safetensors"]["family"]) == (
        "lora", "sdxl")
    assert rows["inpaint.safetensors"]["inpainting"] is True
    assert rows["cut.safetensors"]["status"] == "broken"
    assert "incomplete" in rows["cut.safetensors"]["problem"]
    assert rows["old.pt"]["type"] == "embedding" and rows["old.pt"]["family"] == "unknown"
    assert all(row["sha256"] is None for row in rows.values())  # list never reads whole files


def test_list_table_for_people(a1111, run_cli):
    result = run_cli("models", "list", "--models-dir", str(a1111))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["NAME", "TYPE", "ARCHITECTURE"]
    assert any("models/Lora/sub/xl_style.safetensors" in line and "sdxl" in line for line in lines)
    assert "6 file(s) not hashed yet" in result.stdout


def test_verify_hashes_compares_and_fails_on_bad_files(a1111, run_cli):
    result = run_cli("models", "verify", "--json", "--models-dir", str(a1111))
    assert result.returncode == 1
    rows = _by_name(json.loads(result.stdout))
    assert rows["xl_style.safetensors"]["status"] == "ok"
    assert rows["xl_style.safetensors"]["autov2"] == _sha(LORA)[:10].upper()
    assert rows["inpaint.safetensors"]["status"] == "ok"
    assert rows["changed.safetensors"]["status"] == "mismatch"
    assert rows["cut.safetensors"]["status"] == "broken"
    assert rows["old.pt"]["status"] == "unverified"
    listed = _by_name(json.loads(run_cli("models", "list", "--json", "--models-dir",
                                         str(a1111)).stdout))
    assert listed["xl_style.safetensors"]["autov2"] == _sha(LORA)[:10].upper()  # from the cache


def test_verify_trusts_the_cache_only_while_size_and_mtime_hold(a1111, run_cli, sdsetup_home):
    first = run_cli("models", "verify", "--models-dir", str(a1111))
    assert first.returncode == 1 and "hashing models/Lora/sub/xl_style.safetensors" in first.stderr
    assert "hashing" not in run_cli("models", "verify", "--models-dir", str(a1111)).stderr
    cache_file = sdsetup_home / "model-hashes.json"
    cache = json.loads(cache_file.read_text())
    lora = a1111 / "Lora" / "sub" / "xl_style.safetensors"
    cache[str(lora)]["sha256"] = "f" * 64  # a stale entry with the same size and mtime
    cache_file.write_text(json.dumps(cache))
    rows = _by_name(json.loads(run_cli("models", "verify", "--json", "--models-dir",
                                       str(a1111)).stdout))
    assert rows["xl_style.safetensors"]["status"] == "mismatch"  # the cache was used
    rows = _by_name(json.loads(run_cli("models", "verify", "--rehash", "--json", "--models-dir",
                                       str(a1111)).stdout))
    assert rows["xl_style.safetensors"]["status"] == "ok"  # --rehash reads the file again

    flipped = bytearray(LORA)
    flipped[-1] ^= 0xFF
    lora.write_bytes(bytes(flipped))
    stat = lora.stat()
    os.utime(lora, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    rows = _by_name(json.loads(run_cli("models", "verify", "--json", "--models-dir",
                                       str(a1111)).stdout))
    assert rows["xl_style.safetensors"]["status"] == "mismatch"  # a changed file is re-read


def test_summary_and_exit_status(a1111, run_cli):
    result = run_cli("models", "verify", "--models-dir", str(a1111))
    assert "6 file(s) checked, 2 broken or changed" in result.stdout
    assert result.returncode == 1


def test_empty_home_and_missing_models_dir(run_cli, sdsetup_home, tmp_path):
    empty = run_cli("models", "list")
    assert empty.returncode == 0 and "no model files" in empty.stdout
    assert run_cli("models", "verify").returncode == 0
    missing = run_cli("models", "list", "--models-dir", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "no models folder" in missing.stderr


def test_hash_cache_survives_corruption_and_hashes_once(tmp_path: Path):
    file = _put(tmp_path / "m.safetensors", LORA)
    calls: list[Path] = []

    def counting(path: Path) -> str:
        calls.append(path)
        return _sha(path.read_bytes())

    (tmp_path / "cache.json").write_text("{not json")
    cache = HashCache(tmp_path / "cache.json", counting)
    assert cache.sha256(file) == _sha(LORA) and cache.sha256(file) == _sha(LORA)
    cache.save()
    again = HashCache(tmp_path / "cache.json", counting)
    assert again.sha256(file) == _sha(LORA)
    assert len(calls) == 1


def _status_column(stdout: str, name: str) -> str:
    line = next(line for line in stdout.splitlines() if name in line)
    return line.split("  ")[-1].strip()


def test_list_after_verify_shows_what_verify_found(run_cli, sdsetup_home):
    """Real files in the home: one with a recorded hash, one without. Before verify the first is
    "not checked yet"; after verify, list reads verify's hashes and says "ok". The one without a
    record never pretends that running verify would change anything."""
    models = sdsetup_home / "models"
    _put(models / "Stable-diffusion" / "inpaint.safetensors", CHECKPOINT, _sha(CHECKPOINT))
    _put(models / "Lora" / "style.safetensors", LORA)
    before = run_cli("models", "list")
    assert _status_column(before.stdout, "inpaint.safetensors") == "not checked yet"
    assert _status_column(before.stdout, "style.safetensors") == "no hash to check against"
    verified = run_cli("models", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert _status_column(verified.stdout, "inpaint.safetensors") == "ok"
    after = run_cli("models", "list")
    assert _status_column(after.stdout, "inpaint.safetensors") == "ok"
    assert _status_column(after.stdout, "style.safetensors") == "no hash to check against"
    assert "not verified" not in after.stdout and "not hashed yet" not in after.stdout
    rows = _by_name(json.loads(run_cli("models", "list", "--json").stdout))
    assert (rows["inpaint.safetensors"]["status"], rows["style.safetensors"]["status"]) == (
        "ok", "unverified")


def test_chinese_table_is_aligned_and_translated(run_cli, sdsetup_home):
    """CJK characters take two terminal columns: every column starts at the same screen column,
    and types, "inpaint" and states are Chinese words."""
    from sdsetup.columns import width

    models = sdsetup_home / "models"
    _put(models / "Stable-diffusion" / "inpaint.safetensors", CHECKPOINT, _sha(CHECKPOINT))
    _put(models / "Lora" / "风格.safetensors", LORA)
    _put(models / "Lora" / "cut.safetensors", LORA[:-3])
    result = run_cli("--lang", "zh", "models", "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()[:4]
    assert lines[0].split()[:3] == ["名称", "类型", "架构"]
    for word in ("大模型", "LoRA", "局部重绘", "尚未校验", "没有可比对的哈希", "已损坏"):
        assert word in result.stdout, word
    for english in ("checkpoint", "lora ", "inpaint ", "unknown", "not "):
        assert english not in "\n".join(lines), english

    def starts(line: str) -> list[int]:
        # the screen column where each cell begins (cells are separated by two or more spaces)
        cols, column, gap = [], 0, 2
        for ch in line:
            if ch != " " and gap >= 2:
                cols.append(column)
            gap = gap + 1 if ch == " " else 0
            column += width(ch)
        return cols

    assert len({tuple(starts(line)) for line in lines}) == 1, "\n".join(lines)
