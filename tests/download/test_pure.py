"""The pure decisions of the engine, as tables."""

from __future__ import annotations

import pytest

from sdsetup.download import redact_url, safe_filename
from sdsetup.download.names import name_from_disposition, name_from_url
from sdsetup.download.partstate import PartState, decode, encode, usable
from sdsetup.download.pieces import Pieces
from sdsetup.download.ranges import ContentRange, merge, missing, parse_content_range
from sdsetup.download.responses import Accepted, Refusal, Rejected, judge, strong_validator
from sdsetup.download.retry import Verdict, backoff_delay, classify_status, parse_retry_after


@pytest.mark.parametrize("given, safe", [
    ("model.safetensors", "model.safetensors"),
    ("../../etc/passwd", "passwd"),
    ("..\\..\\Windows\\win.ini", "win.ini"),
    ("..", "download"),
    ("", "download"),
    ("a:b*c?.bin", "a_b_c_.bin"),
    ("name. ", "name"),
    ("CON", "_CON"),
    ("nul.txt", "_nul.txt"),
    ("com1.tar.gz", "_com1.tar.gz"),
    ("console.bin", "console.bin"),
    ("tab\there\x00.bin", "tab_here_.bin"),
    ("模型.safetensors", "模型.safetensors"),
    ("x" * 300 + ".safetensors", "x" * 188 + ".safetensors"),
])
def test_safe_filename(given, safe):
    assert safe_filename(given) == safe


@pytest.mark.parametrize("url, name", [
    ("https://h/a/b/torch-2.13.0%2Bcu128-cp311.whl?x=1", "torch-2.13.0+cu128-cp311.whl"),
    ("https://h/a/%2e%2e%2fevil", "evil"),
    ("https://h/", "download"),
])
def test_name_from_url(url, name):
    assert name_from_url(url) == name


def test_redact_url_drops_secrets():
    assert redact_url("https://u:p@cdn.x:8443/f.bin?X-Amz-Signature=s#f") == "https://cdn.x:8443/f.bin"


@pytest.mark.parametrize("header, parsed", [
    ("bytes 0-99/100", ContentRange(0, 100, 100)),
    ("bytes 10-19/*", ContentRange(10, 20, None)),
    ("BYTES 5-5/6", ContentRange(5, 6, 6)),
    ("bytes 9-3/10", None),
    ("bytes */100", None),
    (None, None),
])
def test_parse_content_range(header, parsed):
    assert parse_content_range(header) == parsed


def test_missing_and_merge():
    assert merge([(5, 10), (0, 5), (20, 30), (25, 26), (7, 7)]) == [(0, 10), (20, 30)]
    assert missing([(0, 10), (20, 30)], 40) == [(10, 20), (30, 40)]
    assert missing([], 5) == [(0, 5)]
    assert missing([(0, 5)], 5) == []


@pytest.mark.parametrize("status, verdict", [
    (503, Verdict.RETRY), (429, Verdict.RETRY), (408, Verdict.RETRY), (522, Verdict.RETRY),
    (403, Verdict.REFRESH), (401, Verdict.REFRESH), (410, Verdict.REFRESH),
    (404, Verdict.GONE), (416, Verdict.GONE), (400, Verdict.GONE),
])
def test_classify_status(status, verdict):
    assert classify_status(status) is verdict


def test_backoff_is_full_jitter_and_capped():
    assert backoff_delay(1, 0.5, 30, 0.0) == 0.0
    assert backoff_delay(1, 0.5, 30, 0.999) == pytest.approx(0.4995)
    assert backoff_delay(4, 0.5, 30, 0.5) == 2.0
    assert backoff_delay(20, 0.5, 30, 0.999) == pytest.approx(29.97)


def test_retry_after_forms():
    now = 1_700_000_000.0
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:40 GMT", now) == 20.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_strong_validator():
    assert strong_validator({"etag": '"abc"'}) == '"abc"'
    assert strong_validator({"etag": 'W/"abc"', "last-modified": "Mon"}) == "Mon"
    assert strong_validator({}) is None


H = {"content-range": "bytes 100-199/200", "etag": '"e"'}


@pytest.mark.parametrize("status, headers, pos, size, sent, outcome", [
    (206, H, 100, 200, '"e"', Accepted(0, 200, True, '"e"', 200)),
    (206, H, 150, 200, None, Accepted(50, 200, True, '"e"', 200)),  # started before us
    (200, H, 100, 200, None, Accepted(0, 200, True, '"e"', 200)),   # 200 + Content-Range
    (206, {"content-range": "bytes 0-9/200"}, 0, 200, None,
     Accepted(0, 200, True, None, 10)),                             # a short 206
    (206, H, 90, 200, None, Refusal.RETRY),                         # resumed past our data
    (206, H, 100, 300, None, Refusal.GONE),                         # another size
    (206, {}, 100, 200, None, Refusal.RETRY),                       # no Content-Range
    (200, {"content-length": "200"}, 0, None, None, Accepted(0, 200, False, None, 200)),
    (200, {"content-length": "200"}, 100, 200, None, Refusal.NO_RANGES),
    (200, {"content-length": "200", "etag": '"f"'}, 100, 200, '"e"', Refusal.CHANGED),
    (200, {"content-length": "200", "content-encoding": "gzip"}, 0, None, None, Refusal.GONE),
    (503, {"retry-after": "3"}, 0, None, None, Refusal.RETRY),
    (404, {}, 0, None, None, Refusal.GONE),
    (403, {}, 0, None, None, Refusal.REFRESH),
])
def test_judge(status, headers, pos, size, sent, outcome):
    got = judge(status, headers, pos, size, sent, now=0.0)
    if isinstance(outcome, Accepted):
        assert got == outcome
    else:
        assert isinstance(got, Rejected) and got.refusal is outcome


def test_judge_keeps_retry_after_and_status():
    got = judge(429, {"retry-after": "3"}, 0, None, None, now=0.0)
    assert isinstance(got, Rejected) and got.retry_after == 3.0 and got.status == 429


STATE = PartState("https://h/f", 100, "ab", '"e"', "https://h/f", ((0, 10), (50, 60)))


def test_sidecar_round_trip_and_trust():
    assert decode(encode(STATE)) == STATE
    assert decode("{not json") is None and decode('{"version": 99}') is None
    here, elsewhere = {"https://h/f"}, {"https://other/g"}
    assert usable(STATE, 100, "ab", elsewhere, 100)  # same hash: any mirror may continue it
    assert usable(STATE, None, None, here, 100)
    assert not usable(STATE, None, None, elsewhere, 100)  # another URL, nothing to compare
    assert not usable(STATE, 101, "ab", here, 100)   # another size
    assert not usable(STATE, None, "cd", here, 100)  # another file
    assert not usable(STATE, None, None, here, 40)   # the part lost bytes the sidecar claims
    assert not usable(None, None, None, here, 100)


def test_idle_connection_splits_the_largest_piece():
    pieces = Pieces(100 * 1024, (), min_piece=10 * 1024, piece_size=1 << 30)
    first = pieces.take(lambda: True)
    assert (first.start, first.end) == (0, 100 * 1024)
    second = pieces.take(lambda: True)
    assert (second.start, second.end, first.end) == (50 * 1024, 100 * 1024, 50 * 1024)
    pieces.advance(first, 45 * 1024)
    pieces.advance(second, 10 * 1024)
    third = pieces.take(lambda: True)
    assert (third.start, third.end) == (80 * 1024, 100 * 1024)    # half the larger remainder
    assert pieces.claim(first, 64 * 1024) == 5 * 1024
    pieces.advance(first, 5 * 1024)
    pieces.finish(first)
    assert pieces.done_spans() == [(0, 60 * 1024)]
    assert not pieces.finished()


def test_a_long_segment_is_carved_into_pieces_handed_out_in_order():
    pieces = Pieces(100, (), min_piece=5, piece_size=20)
    first = pieces.take(lambda: True)
    second = pieces.take(lambda: True)
    assert (first.end, second.start, second.end) == (20, 20, 40)
    third = pieces.take(lambda: True)
    assert (third.start, third.end) == (40, 60)
    pieces.advance(first, 20)
    pieces.finish(first)
    assert (pieces.take(lambda: True).start, pieces.prefix()) == (60, (20, 0))


def test_resume_hands_out_only_missing_bytes():
    pieces = Pieces(100, ((0, 40), (60, 80)), min_piece=10, piece_size=1000)
    taken = [pieces.take(lambda: False) for _ in range(2)]
    assert [(s.start, s.end) for s in taken] == [(40, 60), (80, 100)]


@pytest.mark.parametrize("header, name", [
    ('attachment; filename="a b.safetensors"', "a b.safetensors"),
    ("attachment; filename=\"x.bin\"; filename*=UTF-8''%E6%A8%A1%E5%9E%8B.safetensors",
     "模型.safetensors"),
    ("attachment; filename*=utf-8''..%2F..%2Fevil.bin", "evil.bin"),
    ('attachment; filename="..\\\\..\\\\win.ini"', "win.ini"),
    ("attachment; filename=plain.ckpt", "plain.ckpt"),
    ("attachment; filename*=bogus-charset''x%FF.bin; filename=ok.bin", "ok.bin"),
    ("inline", None),
    (None, None),
])
def test_name_from_disposition(header, name):
    assert name_from_disposition(header) == name
