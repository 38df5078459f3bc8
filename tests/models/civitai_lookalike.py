"""A loopback Civitai look-alike: the real API shapes, a token check, and 307s to a storage host.

Versions are built from a real ``/api/v1/model-versions`` capture (fixtures/) with the test's own
ids, files and hashes. Downloads answer like the real endpoint: 401/403/404/410 JSON bodies when
told to, else a 307 to a signed URL on a *separate* server (``tests.support.fileserver``), which
records every request so tests can prove the token never reached it.

Also a Hugging Face look-alike: ``HEAD/GET /{repo}/resolve/{rev}/{path}`` answer 302 to storage
with ``X-Linked-Etag`` / ``X-Linked-Size`` like the Hub's LFS files, and
``GET /api/models/{repo}/revision/{rev}`` lists a repository's files as the Hub's model-info API
does (``siblings`` with ``size``, ``blobId`` and, for LFS files, ``lfs.sha256`` only when asked
with ``blobs=true``).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.support.fileserver import FileServer, Request

FIXTURES = Path(__file__).parent / "fixtures"
VERSION_TEMPLATE = json.loads((FIXTURES / "lora_manager__model_version_1387174.json").read_text())
MODEL_TEMPLATE = json.loads((FIXTURES / "lora_manager__model_1231067.json").read_text())
LOGIN_REQUIRED = json.loads((FIXTURES / "observed__download_401_login_required.json").read_text())

# A 1x1 PNG, for previews.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d4944415478da63f8cfc0f01f0005000201a5f5e2d90000000049454e44ae426082")


@dataclass
class FakeFile:
    id: int
    name: str
    data: bytes
    type: str = "Model"
    format: str = "SafeTensor"
    primary: bool = True
    publish_hash: bool = True
    published_sha256: str | None = None  # a wrong hash on purpose

    @property
    def sha256(self) -> str:
        return self.published_sha256 or hashlib.sha256(self.data).hexdigest().upper()


@dataclass
class FakeVersion:
    id: int
    model_id: int
    model_type: str
    files: list[FakeFile]
    base_model: str = "SD 1.5"
    model_name: str = "Test Model"
    with_image: bool = True
    # Download answer instead of the 307: (status, json body), e.g. (410, {...}).
    download_refusal: tuple[int, dict] | None = None
    requires_auth: bool = True
    model_mode: str | None = None  # "Archived", "TakenDown"
    usage_control: str = "Download"


@dataclass
class _State:
    token: str
    versions: dict[int, FakeVersion] = field(default_factory=dict)
    storage: FileServer | None = None
    # path prefix -> (status, body[, headers]) answered before the real ones, one per request.
    script: dict[str, list[tuple]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def version_json(version: FakeVersion, api_base: str, storage_base: str) -> dict:
    data = copy.deepcopy(VERSION_TEMPLATE)
    data.update(id=version.id, modelId=version.model_id, baseModel=version.base_model,
                air=f"urn:air:sd1:{version.model_type.lower()}:civitai:{version.model_id}@{version.id}",
                downloadUrl=f"{api_base}/api/download/models/{version.id}")
    data["model"] = {"name": version.model_name, "type": version.model_type, "nsfw": False,
                     "poi": False}
    if version.model_mode:
        data["model"]["mode"] = version.model_mode
    data["usageControl"] = version.usage_control
    template = data["files"][0]
    data["files"] = []
    for f in version.files:
        entry = copy.deepcopy(template)
        hashes = {"AutoV2": f.sha256[:10], "SHA256": f.sha256} if f.publish_hash else {}
        entry.update(id=f.id, name=f.name, type=f.type, primary=f.primary,
                     sizeKB=len(f.data) / 1024, hashes=hashes,
                     metadata={"format": f.format, "size": None, "fp": None},
                     downloadUrl=f"{api_base}/api/download/models/{version.id}")
        data["files"].append(entry)
    image = data["images"][0]
    image["url"] = f"{storage_base}/img/{version.id}.png"
    data["images"] = [image] if version.with_image else []
    return data


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: _State

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: dict | None = None, headers: dict | None = None) -> None:
        raw = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(raw)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def do_GET(self) -> None:
        state = self.state
        parts = urlsplit(self.path)
        with state.lock:
            state.requests.append(Request("GET", self.path,
                                          {k.lower(): v for k, v in self.headers.items()}))
            scripted = next((queue for prefix, queue in state.script.items()
                             if parts.path.startswith(prefix) and queue), None)
            answer = scripted.pop(0) if scripted else None
        if answer is not None:
            self._send(*answer)
            return
        self._route(parts.path, parse_qs(parts.query))

    def _route(self, path: str, query: dict[str, list[str]]) -> None:
        state = self.state
        storage = state.storage.base if state.storage else ""
        if match := re.fullmatch(r"/api/v1/model-versions/(\d+)", path):
            version = state.versions.get(int(match[1]))
            if version is None:
                self._send(404, {"error": "Model not found"})
            else:
                self._send(200, version_json(version, self.api_base, storage))
        elif match := re.fullmatch(r"/api/v1/models/(\d+)", path):
            found = [v for v in state.versions.values() if v.model_id == int(match[1])]
            if not found:
                self._send(404, {"error": f"No model with id {match[1]}"})
                return
            model = copy.deepcopy(MODEL_TEMPLATE)
            model.update(id=int(match[1]), type=found[-1].model_type,
                         modelVersions=[version_json(v, self.api_base, storage)
                                        for v in reversed(found)])
            self._send(200, model)
        elif match := re.fullmatch(r"/api/download/models/(\d+)", path):
            self._download(int(match[1]), query)
        else:
            self._send(404, {"error": "Not found"})

    def _download(self, version_id: int, query: dict[str, list[str]]) -> None:
        state = self.state
        version = state.versions.get(version_id)
        if version is None:
            self._send(404, {"error": "File not found"})
            return
        if version.requires_auth and self.headers.get("Authorization") != f"Bearer {state.token}":
            self._send(401, LOGIN_REQUIRED)
            return
        if version.download_refusal is not None:
            self._send(*version.download_refusal)
            return
        wanted = (query.get("fileId") or [None])[0]
        chosen = next((f for f in version.files if str(f.id) == wanted), None)
        if chosen is None:
            self._send(404, {"error": "File not found"})
            return
        with state.lock:
            state.signatures += 1
            signature = state.signatures
        location = (f"{state.storage.base}/files/{version.id}/{chosen.id}"
                    f"?X-Amz-Expires=86400&X-Amz-Signature=sig{signature}")
        self._send(307, {}, {"Location": location, "Cache-Control": "no-store"})


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client dropping a keep-alive connection is normal here, not a test failure


class CivitaiLookalike:
    """The API on one port, storage (a FileServer) on another: two distinct origins."""

    def __init__(self, token: str = "tok-SECRET-1234567890") -> None:
        self.storage = FileServer()
        self._state = _State(token=token, storage=self.storage)
        handler = type("Handler", (_Handler,), {"state": self._state})
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def token(self) -> str:
        return self._state.token

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def requests(self) -> list[Request]:
        return self._state.requests

    def downloads(self) -> list[Request]:
        return [r for r in self._state.requests if r.path.startswith("/api/download/")]

    def add(self, version: FakeVersion) -> FakeVersion:
        self._state.versions[version.id] = version
        for f in version.files:
            self.storage.files[f"/files/{version.id}/{f.id}"] = f.data
        self.storage.files[f"/img/{version.id}.png"] = PNG
        return version

    def script(self, path_prefix: str, *answers: tuple) -> None:
        """Answer the next requests under ``path_prefix`` with these (status, body[, headers])."""
        self._state.script[path_prefix] = list(answers)

    def __enter__(self) -> CivitaiLookalike:
        self.storage.start()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.storage.stop()


# What the Hub stores in LFS (.gitattributes of a new repository); the rest are git blobs.
_LFS_SUFFIXES = (".safetensors", ".bin", ".pt", ".h5", ".msgpack", ".onnx", ".model")


def _sibling(name: str, data: bytes, published: str | None) -> dict:
    blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    entry = {"rfilename": name, "blobId": blob, "size": len(data)}
    if name.endswith(_LFS_SUFFIXES):
        entry["lfs"] = {"sha256": published or hashlib.sha256(data).hexdigest(),
                        "size": len(data), "pointerSize": 134}
    return entry


class _HfHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    storage: FileServer
    requests: list[Request]
    published: dict[str, str]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send_json(self, status: int, body: dict) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _listing(self, repo: str, revision: str, blobs: bool) -> None:
        prefix = f"/hf/{repo}/{revision}/"
        files = {k.removeprefix(prefix): v for k, v in self.storage.files.items()
                 if k.startswith(prefix)}
        if not files:
            self._send_json(404, {"error": "Repository not found"})
            return
        siblings = [_sibling(name, data, self.published.get(prefix + name))
                    for name, data in sorted(files.items())]
        if not blobs:
            siblings = [{"rfilename": s["rfilename"]} for s in siblings]
        self._send_json(200, {"id": repo, "modelId": repo, "sha": "0" * 40, "private": False,
                              "siblings": siblings})

    def _answer(self) -> None:
        self.requests.append(Request(self.command, self.path,
                                     {k.lower(): v for k, v in self.headers.items()}))
        parts = urlsplit(self.path)
        if listing := re.fullmatch(r"/api/models/([^/]+/[^/]+)/revision/([^/]+)", parts.path):
            self._listing(listing[1], listing[2], parse_qs(parts.query).get("blobs") == ["true"])
            return
        match = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", urlsplit(self.path).path)
        key = f"/hf/{match[1]}/{match[2]}/{match[3]}" if match else ""
        data = self.storage.files.get(key)
        if data is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(302)
        self.send_header("Location", self.storage.url(key) + "?Expires=9&Signature=x")
        self.send_header("X-Linked-Etag", f'"{hashlib.sha256(data).hexdigest()}"')
        self.send_header("X-Linked-Size", str(len(data)))
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = _answer
    do_HEAD = _answer


class HfLookalike:
    def __init__(self, storage: FileServer) -> None:
        self.storage = storage
        self.requests: list[Request] = []
        # storage key -> the LFS SHA-256 the listing publishes instead of the true one
        self.published: dict[str, str] = {}
        handler = type("Handler", (_HfHandler,), {"storage": storage, "requests": self.requests,
                                                  "published": self.published})
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(self, repo: str, path: str, data: bytes, revision: str = "main",
            published_sha256: str | None = None) -> None:
        self.storage.files[f"/hf/{repo}/{revision}/{path}"] = data
        if published_sha256 is not None:
            self.published[f"/hf/{repo}/{revision}/{path}"] = published_sha256

    def add_folder(self, repo: str, folder: Path) -> None:
        """Every file under ``folder`` (subfolders too), as ``save_pretrained`` left them."""
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            self.add(repo, path.relative_to(folder).as_posix(), path.read_bytes())

    def __enter__(self) -> HfLookalike:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


