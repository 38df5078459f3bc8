"""A scripted loopback HTTP file server for tests (and the download benchmark).

Serves ``{path: bytes}`` from memory on ``127.0.0.1:<free port>`` in a background thread, speaks
HTTP/1.1 with keep-alive, and honours ``Range`` (``bytes=a-b`` / ``bytes=a-``), ``If-Range``
(ETag or Last-Modified) and ``HEAD``. Faults are scripted per path with :class:`Fault`; every
request is recorded so tests can assert exactly what a client sent::

    from tests.support.fileserver import Fault, FileServer

    with FileServer({"/a.bin": data}) as server:
        server.fault("/a.bin", Fault(fail_first=2, fail_status=503, retry_after="1"))
        url = server.url("/a.bin")
        ...
        assert server.requests[-1].headers["range"] == "bytes=0-"
        assert server.bytes_sent["/a.bin"] >= len(data)

API (stable; other test suites rely on it):

- ``FileServer(files=None, link_rate=None)``: ``link_rate`` caps all connections together
  (bytes/s). Use as a context manager, or ``start()`` / ``stop()``.
- ``server.files``: the dict served; add or replace entries at any time.
- ``server.url(path)`` / ``server.base``: ``http://127.0.0.1:<port>`` + path.
- ``server.fault(path, Fault(...))`` sets the faults of one path (replacing earlier ones).
- ``server.requests``: list of :class:`Request` (method, path, headers with lower-case names,
  peer: the client's address, which tells TCP connections apart).
- ``server.requests_for(path)``; ``server.bytes_sent[path]``: body bytes written to sockets.
- ``server.etag(path)``: the ETag currently served for ``path`` (quoted, strong).
- ``server.headers[path]``: extra response headers for that path's file responses (e.g.
  ``Content-Disposition``).

Fault fields (all optional; counts are per path, over GET requests):

- ``status``: always answer this status (404, 410, 403…) with a short body.
- ``fail_first`` + ``fail_status`` (+ ``retry_after``): the first K requests get that status.
- ``truncate_after``: announce the full Content-Length, send N body bytes, close cleanly.
- ``reset_after``: send N body bytes, then reset the TCP connection (RST).
- ``reset_chance``: before each 64 KiB chunk, reset the connection with this probability
  (a lossy link "now and then"; seeded, so runs are comparable).
- ``stall_after`` + ``stall_seconds``: send N body bytes, then go silent.
- ``times``: how many responses the three faults above apply to (default: every response).
- ``change_etag_after``: a new ETag from the (N+1)th request on (the file was replaced).
- ``etag_per_response`` / ``last_modified_per_response``: a different validator on every response
  for the same bytes (load-balanced nodes); ``no_etag`` leaves Last-Modified as the only validator;
  ``node``: this server's validators differ from another's (two mirror nodes, same bytes).
- ``ignore_range``: answer every request 200 with the whole file.
- ``max_range``: answer a range request with at most N bytes (an honest, short 206).
- ``wrong_range_offset`` (+ ``offset_shift``): the first K range answers start later than asked
  (Content-Range says so honestly).
- ``change_etag_after``: after N requests the ETag changes (content stays), so If-Range fails.
- ``redirect_to``: answer 302 to ``redirect_to + path`` (a signed-CDN style hop to another
  server; ``redirect_query`` is appended, e.g. ``"?sig=secret"``).
- ``throttle``: bytes/s per connection.
- ``corrupt``: flip one byte in every 64 KiB of the body sent.
- ``no_length``: send the body without Content-Length (connection closes at the end).

Paths ending in ``/`` or ``.html`` are sent as ``text/html`` (a simple package index works),
everything else as ``application/octet-stream``.
"""

from __future__ import annotations

import random
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_CHUNK = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")
_LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)


@dataclass(frozen=True)
class Fault:
    status: int | None = None
    fail_first: int = 0
    fail_status: int = 503
    retry_after: str | None = None
    truncate_after: int | None = None
    reset_after: int | None = None
    reset_chance: float = 0.0
    stall_after: int | None = None
    stall_seconds: float = 30.0
    times: int | None = None
    ignore_range: bool = False
    max_range: int | None = None
    wrong_range_offset: int = 0
    offset_shift: int = 1000
    change_etag_after: int | None = None
    etag_per_response: bool = False
    last_modified_per_response: bool = False
    no_etag: bool = False
    node: int = 0
    redirect_to: str | None = None
    redirect_query: str = ""
    throttle: int | None = None
    corrupt: bool = False
    no_length: bool = False


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    peer: tuple[str, int] = ("", 0)  # the client's address: one port per TCP connection


class _Bucket:
    """A token bucket as a virtual clock: each write books its slot on the shared link."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.lock = threading.Lock()
        self.clock = 0.0

    def take(self, count: int) -> None:
        with self.lock:
            now = time.monotonic()
            self.clock = max(self.clock, now) + count / self.rate
            wait = self.clock - now - count / self.rate
        if wait > 0:
            time.sleep(wait)


@dataclass
class _State:
    files: dict[str, bytes]
    faults: dict[str, Fault] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    ranged: dict[str, int] = field(default_factory=dict)
    bytes_sent: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    link: _Bucket | None = None
    dice: random.Random = field(default_factory=lambda: random.Random(0))


class FileServer:
    def __init__(self, files: dict[str, bytes] | None = None,
                 link_rate: float | None = None) -> None:
        self._state = _State(dict(files or {}), link=_Bucket(link_rate) if link_rate else None)
        handler = type("Handler", (_Handler,), {"state": self._state})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def files(self) -> dict[str, bytes]:
        return self._state.files

    @property
    def headers(self) -> dict[str, dict[str, str]]:
        return self._state.headers

    @property
    def requests(self) -> list[Request]:
        return self._state.requests

    @property
    def bytes_sent(self) -> dict[str, int]:
        return self._state.bytes_sent

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def fault(self, path: str, fault: Fault) -> None:
        self._state.faults[path] = fault

    def requests_for(self, path: str) -> list[Request]:
        return [r for r in self._state.requests if r.path.split("?")[0] == path]

    def etag(self, path: str) -> str:
        return _etag(self._state, path, self._state.counts.get(path, 0))

    def start(self) -> FileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _etag(state: _State, path: str, count: int) -> str:
    fault = state.faults.get(path, Fault())
    generation = 0
    if fault.change_etag_after is not None and count > fault.change_etag_after:
        generation = 1
    if fault.etag_per_response:
        generation = count
    node = f"-n{fault.node}" if fault.node else ""
    return f'"{path.strip("/").replace("/", "_")}-{len(state.files.get(path, b""))}-{generation}{node}"'


def _last_modified(fault: Fault, count: int) -> str:
    if not (fault.last_modified_per_response or fault.node):
        return _LAST_MODIFIED
    return formatdate(1_700_000_000 + 1000 * fault.node
                      + (count if fault.last_modified_per_response else 0), usegmt=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: _State

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        path = self.path.split("?")[0]
        state = self.state
        with state.lock:
            state.requests.append(Request(self.command, self.path,
                                          {k.lower(): v for k, v in self.headers.items()},
                                          self.client_address[:2]))
            count = state.counts[path] = state.counts.get(path, 0) + 1
        fault = state.faults.get(path, Fault())
        data = state.files.get(path)
        if fault.redirect_to:
            self._bare(302, {"Location": fault.redirect_to + self.path + fault.redirect_query})
        elif data is None:
            self._bare(404)
        elif fault.status:
            self._bare(fault.status)
        elif count <= fault.fail_first:
            extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            self._bare(fault.fail_status, extra)
        else:
            self._send_file(path, data, fault, count, head)

    def _bare(self, status: int, headers: dict[str, str] | None = None) -> None:
        body = f"{status}\n".encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _wanted_range(self, path: str, data: bytes, fault: Fault, etag: str | None,
                      modified: str) -> tuple[int, int] | None:
        match = _RANGE.match(self.headers.get("Range", "").strip())
        if fault.ignore_range or not match:
            return None
        if_range = self.headers.get("If-Range")
        if if_range and if_range not in (etag, modified):
            return None
        start = int(match[1])
        end = min(int(match[2]) + 1 if match[2] else len(data), len(data))
        with self.state.lock:
            shifted = self.state.ranged[path] = self.state.ranged.get(path, 0) + 1
        if shifted <= fault.wrong_range_offset:
            start = min(start + fault.offset_shift, end - 1)
        if fault.max_range is not None:
            end = min(end, start + fault.max_range)
        return start, end

    def _send_file(self, path: str, data: bytes, fault: Fault, count: int, head: bool) -> None:
        etag = None if fault.no_etag else _etag(self.state, path, count)
        modified = _last_modified(fault, count)
        wanted = self._wanted_range(path, data, fault, etag, modified)
        if wanted is not None and wanted[0] >= len(data):
            self._bare(416, {"Content-Range": f"bytes */{len(data)}"})
            return
        start, end = wanted or (0, len(data))
        self.send_response(206 if wanted else 200)
        if wanted:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        if fault.no_length:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(end - start))
        html = path.endswith(("/", ".html"))
        self.send_header("Content-Type", "text/html" if html else "application/octet-stream")
        for name, value in self.state.headers.get(path, {}).items():
            self.send_header(name, value)
        if etag is not None:
            self.send_header("ETag", etag)
        self.send_header("Last-Modified", modified)
        self.send_header("Accept-Ranges", "none" if fault.ignore_range else "bytes")
        self.end_headers()
        if not head:
            self._body(path, memoryview(data)[start:end], fault, count)

    def _body(self, path: str, body: memoryview, fault: Fault, count: int) -> None:
        faulty = fault.times is None or count - fault.fail_first <= fault.times
        cut = min((n for n in (fault.truncate_after, fault.reset_after, fault.stall_after)
                   if n is not None and faulty), default=None)
        started, sent = time.monotonic(), 0
        try:
            while sent < len(body) and (cut is None or sent < cut):
                if fault.reset_chance and self.state.dice.random() < fault.reset_chance:
                    self._break(Fault(reset_after=sent), sent)
                    return
                size = min(_CHUNK, len(body) - sent, (cut - sent) if cut is not None else _CHUNK)
                chunk = bytes(body[sent:sent + size])
                if fault.corrupt:
                    chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
                if self.state.link is not None:
                    self.state.link.take(size)
                self.wfile.write(chunk)
                sent += size
                with self.state.lock:
                    self.state.bytes_sent[path] = self.state.bytes_sent.get(path, 0) + size
                if fault.throttle:
                    delay = started + sent / fault.throttle - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
            self.wfile.flush()
            if cut is not None and sent < len(body):
                self._break(fault, cut)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _break(self, fault: Fault, cut: int) -> None:
        if fault.stall_after == cut:
            time.sleep(fault.stall_seconds)
        elif fault.reset_after == cut:
            # SO_LINGER with a zero timeout turns close() into a TCP reset.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        self.close_connection = True
