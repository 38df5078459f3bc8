"""A minimal SOCKS5 proxy on 127.0.0.1 for tests (no authentication, CONNECT only).

Clash, v2ray and similar tools expose one of these, and users point ``ALL_PROXY`` at it::

    with SocksProxy() as proxy:
        env["ALL_PROXY"] = proxy.url          # socks5://127.0.0.1:<port>
        ...
        assert proxy.connections == [("127.0.0.1", 8000)]
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading


def _exactly(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        more = sock.recv(count - len(data))
        if not more:
            raise ConnectionError("client hung up during the SOCKS handshake")
        data += more
    return data


class _Relay(socketserver.BaseRequestHandler):
    connections: list[tuple[str, int]]

    def handle(self) -> None:
        client: socket.socket = self.request
        _, count = _exactly(client, 2)
        _exactly(client, count)
        client.sendall(b"\x05\x00")  # no authentication
        _, command, _, kind = _exactly(client, 4)
        if kind == 1:
            host = socket.inet_ntoa(_exactly(client, 4))
        elif kind == 3:
            host = _exactly(client, _exactly(client, 1)[0]).decode()
        else:
            host = socket.inet_ntop(socket.AF_INET6, _exactly(client, 16))
        port = struct.unpack("!H", _exactly(client, 2))[0]
        if command != 1:
            client.sendall(b"\x05\x07\x00\x01" + b"\x00" * 6)
            return
        self.connections.append((host, port))
        upstream = socket.create_connection((host, port))
        client.sendall(b"\x05\x00\x00\x01" + b"\x00" * 6)
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()
        _pump(client, upstream)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class SocksProxy:
    def __init__(self) -> None:
        self.connections: list[tuple[str, int]] = []
        handler = type("Relay", (_Relay,), {"connections": self.connections})
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"socks5://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> SocksProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
