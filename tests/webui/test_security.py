"""Attacks on the real server, made as an attacker would make them (issue: safe to expose).

Each test sends the hostile requests over HTTP to a server started for this module and checks
what comes back: no file outside outputs/ and gradio's own folders, no frozen server, no 5xx,
no lost model, no cross-site or rebound request obeyed.
"""

from __future__ import annotations

import base64
import io
import json
import re
import threading
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image, PngImagePlugin

from conftest import start_server, stop_server

SECRET = "civitai_token = 'sk-secret-token-for-tests'\n"
SMALL = {"width": 64, "height": 64, "steps": 1}
FILE_TYPES = {"image", "file", "gallery", "video", "audio", "model3d", "imageeditor",
              "uploadbutton", "annotatedimage", "simpleimage", "multimodaltextbox", "imageslider"}


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("sec-home")
    (home / "config.toml").write_text(SECRET)
    return home


@pytest.fixture(scope="module")
def server(home, tiny_checkpoints):
    broken = home / "broken.safetensors"
    broken.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00not json")
    running = start_server(home, [tiny_checkpoints["tiny"], broken])
    # "broken" sorts first: load the working model, as a user who picked it would have.
    chosen = httpx.post(running.api("options"), json={"sd_model_checkpoint": "tiny"}, timeout=120)
    assert chosen.status_code == 200, chosen.text
    yield running
    stop_server(running)


def gradio_tmp(server) -> Path:
    return server.home / "gradio-tmp"


def copies_of(folder: Path, needle: bytes) -> list[Path]:
    """Files under ``folder`` holding ``needle`` (what the server copied for an attacker)."""
    found = []
    for path in folder.rglob("*") if folder.exists() else []:
        try:
            if path.is_file() and needle in path.read_bytes():
                found.append(path)
        except OSError:
            continue
    return found


# --- 1. no file read through the page ---------------------------------------------------------
def targets(home: Path) -> list[tuple[str, bytes]]:
    """(path, bytes a copy of it would hold): the server's environment names its gradio folder."""
    return [("/etc/passwd", b"root:"), (str(home / "config.toml"), SECRET.encode()),
            ("/proc/self/environ", b"GRADIO_TEMP_DIR=")]


def file_data(path: str) -> dict:
    return {"path": path, "meta": {"_type": "gradio.FileData"}}


def three_requests(server, path: str) -> tuple[str, list[httpx.Response]]:
    """The attack: call png_info with a server path, read the event stream, fetch what it names."""
    called = httpx.post(server.url + "gradio_api/call/png_info", json={"data": [file_data(path)]},
                        timeout=30)
    stream = ""
    if called.status_code == 200:
        event_id = called.json()["event_id"]
        stream = httpx.get(server.url + f"gradio_api/call/png_info/{event_id}", timeout=30).text
    named = set(re.findall(r"(/[^\s\"'\\,]*" + re.escape(Path(path).name) + ")", stream))
    fetched = [httpx.get(server.url + f"gradio_api/file={p}", timeout=10) for p in {*named, path}]
    return stream, fetched


def test_png_info_event_cannot_read_server_files(server, home):
    for path, content in targets(home):
        stream, fetched = three_requests(server, path)
        for reply in fetched:
            assert reply.status_code in (403, 404), (path, reply.status_code, reply.text[:200])
        assert "root:" not in stream and "sk-secret" not in stream
        assert not copies_of(gradio_tmp(server), content), path
        assert re.search(r"/[^\s\"']*/(passwd|config\.toml|environ)", stream) is None, stream


def test_no_event_with_a_file_input_copies_server_files(server, home):
    config = httpx.get(server.url + "config", timeout=30).json()
    kinds = {c["id"]: c["type"] for c in config["components"]}
    events = [(i, dep) for i, dep in enumerate(config["dependencies"])
              if any(kinds.get(c) in FILE_TYPES for c in dep["inputs"])]
    assert events, "the page has no event with a file input to attack"
    for path, content in targets(home):
        for index, dep in events:
            data = [file_data(path) if kinds.get(c) in FILE_TYPES else None for c in dep["inputs"]]
            session = f"attack{dep['id']}"
            joined = httpx.post(server.url + "gradio_api/queue/join", timeout=30, json={
                "data": data, "fn_index": dep["id"], "trigger_id": None, "session_hash": session,
                "event_data": None})
            if joined.status_code == 200:
                stream = httpx.get(server.url + f"gradio_api/queue/data?session_hash={session}",
                                   timeout=60).text
                assert "root:" not in stream and "sk-secret" not in stream
            assert not copies_of(gradio_tmp(server), content), (path, dep["id"])
        assert httpx.get(server.url + f"gradio_api/file={path}", timeout=10).status_code in (403, 404)


def test_outputs_and_uploads_are_still_served(server):
    reply = httpx.post(server.api("txt2img"), json={**SMALL, "seed": 5, "save_images": True},
                       timeout=120)
    assert reply.status_code == 200
    saved = next((server.home / "outputs").rglob("*-5.png"))
    served = httpx.get(server.url + f"gradio_api/file={saved}", timeout=10)
    assert served.status_code == 200 and served.content == saved.read_bytes()
    # A real upload, then png_info on it, as the page does it.
    uploaded = httpx.post(server.url + "gradio_api/upload", timeout=30,
                          files={"files": ("mine.png", saved.read_bytes(), "image/png")}).json()
    called = httpx.post(server.url + "gradio_api/call/png_info", timeout=30,
                        json={"data": [file_data(uploaded[0])]}).json()
    stream = httpx.get(server.url + f"gradio_api/call/png_info/{called['event_id']}", timeout=30).text
    assert "event: complete" in stream and "Seed: 5" in stream


# --- 2. parsers in linear time: the server keeps answering ----------------------------------
def png_with(text: str) -> str:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", text)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG", pnginfo=info)
    return base64.b64encode(buffer.getvalue()).decode()


ATTACKS = {
    "break-whitespace": ("txt2img", {**SMALL, "prompt": "a" + " " * 50_000 + "b"}),
    "infotext-key-runs": ("png-info", {"image": png_with("p\n" + "a " * 25_000)}),
    "infotext-quotes": ("png-info", {"image": png_with("p\n" + 'Steps: "' + "\\a" * 25_000)}),
}


def progress_latencies(server, route: str, body: dict) -> tuple[list[float], float, int]:
    """Send ``body`` to ``route`` and poll ``/progress`` while it runs; (latencies, took, status)."""
    outcome: dict = {}

    def attack():
        started = time.monotonic()
        outcome["status"] = httpx.post(server.api(route), json=body, timeout=300).status_code
        outcome["took"] = time.monotonic() - started

    worker = threading.Thread(target=attack)
    worker.start()
    latencies = []
    with httpx.Client(timeout=60) as client:
        client.get(server.api("progress"))  # a warm connection: measure the server, not the dial
        while worker.is_alive():
            started = time.monotonic()
            client.get(server.api("progress?skip_current_image=true"))
            latencies.append(time.monotonic() - started)
            time.sleep(0.01)
    worker.join()
    return sorted(latencies), outcome["took"], outcome["status"]


@pytest.mark.parametrize("name", ATTACKS)
def test_hostile_text_does_not_freeze_the_server(server, name):
    route, body = ATTACKS[name]
    latencies, took, status = progress_latencies(server, route, body)
    print(f"{name}: request {took:.2f} s; /progress x{len(latencies)}: {latencies}")
    assert status == 200
    assert took < 120, f"{name}: the request took {took:.1f} s"
    if not latencies:  # the attack was over before the first poll could start: nothing froze
        assert took < 1, f"{name}: no /progress answer in the {took:.1f} s the request took"
        return
    # Before the fix /progress waited for the whole parse (tens of seconds). On a shared 2-core
    # machine the scheduler alone can delay a reply; so: most under 100 ms, none over 1 s.
    # A request that now ends in a fraction of a second leaves a sample or two, where one slow
    # scheduler tick decides a percentile: judge the percentile on enough samples only.
    if len(latencies) >= 10:
        assert latencies[int(len(latencies) * 0.9)] < 0.1, f"{name}: /progress latencies {latencies}"
    assert latencies[-1] < 1, f"{name}: /progress took {latencies[-1]:.2f} s while it ran"


# --- 3. no bare 500s --------------------------------------------------------------------------
def bomb_png() -> str:
    """A PNG whose header claims 100 000 x 100 000 pixels (Pillow's decompression-bomb error)."""
    buffer = io.BytesIO()
    Image.new("1", (1, 1)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 1, 0, 0, 0, 0)
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return base64.b64encode(bytes(data)).decode()


BAD_BODIES = [
    ("txt2img", {**SMALL, "enable_hr": True, "denoising_strength": 0}, "denoising_strength"),
    ("txt2img", {**SMALL, "steps": "--5"}, "steps"),
    ("txt2img", {**SMALL, "steps": "²"}, "steps"),
    ("txt2img", {**SMALL, "seed": "9" * 5000}, "seed"),
    ("txt2img", {**SMALL, "override_settings": {"sd_model_checkpoint": 123}},
     "override_settings.sd_model_checkpoint"),
    ("txt2img", {**SMALL, "override_settings": {"sd_model_checkpoint": ["a"]}},
     "override_settings.sd_model_checkpoint"),
    ("txt2img", {**SMALL, "override_settings": {"sd_vae": {"x": 1}}}, "override_settings.sd_vae"),
    ("options", {"sd_model_checkpoint": ["tiny"]}, "sd_model_checkpoint"),
    ("options", {"sd_model_checkpoint": "no such model"}, "sd_model_checkpoint"),
    ("png-info", {"image": "data:image/png;base64"}, "image"),
    ("png-info", {"image": bomb_png()}, "image"),
]


@pytest.mark.parametrize("route, body, field", BAD_BODIES,
                         ids=[f"{r}-{f}-{i}" for i, (r, _, f) in enumerate(BAD_BODIES)])
def test_bad_input_is_a_422_naming_the_field(server, route, body, field):
    reply = httpx.post(server.api(route), json=body, timeout=120)
    assert reply.status_code == 422, reply.text[:300]
    assert reply.json()["errors"] == field
    assert "Traceback" not in reply.text


def test_lone_surrogate_in_prompt_is_a_422(server):
    raw = '{"prompt": "a \\ud800 cat", "width": 64, "height": 64, "steps": 1}'
    reply = httpx.post(server.api("txt2img"), content=raw, timeout=60,
                       headers={"Content-Type": "application/json"})
    assert reply.status_code == 422 and reply.json()["errors"] == "prompt"
    elsewhere = '{"someone_elses_key": "\\udfff", "width": 64, "height": 64, "steps": 1}'
    reply = httpx.post(server.api("txt2img"), content=elsewhere, timeout=60,
                       headers={"Content-Type": "application/json"})
    assert reply.status_code == 422 and reply.json()["errors"] == "someone_elses_key"


@pytest.mark.parametrize("body", [{"enable_hr": True, "steps": 1},
                                  {"enable_hr": True, "steps": 1, "denoising_strength": 0.01},
                                  {"enable_hr": True, "steps": 3, "hr_second_pass_steps": 1,
                                   "denoising_strength": 0.99}])
def test_hires_edge_cases_make_an_image(server, body):
    reply = httpx.post(server.api("txt2img"), json={"width": 64, "height": 64, "hr_scale": 1.25,
                                                    **body}, timeout=120)
    assert reply.status_code == 200, reply.text[:300]
    assert len(reply.json()["images"]) == 1


# --- 4. a failed model switch keeps the working model ---------------------------------------
def test_failed_switch_keeps_the_loaded_model(server):
    models = {m["model_name"]: m["title"] for m in httpx.get(server.api("sd-models"), timeout=10).json()}
    assert httpx.post(server.api("options"), json={"sd_model_checkpoint": models["tiny"]},
                      timeout=120).status_code == 200
    failed = httpx.post(server.api("options"), json={"sd_model_checkpoint": models["broken"]},
                        timeout=120)
    assert failed.status_code == 500 and "broken" in failed.json()["detail"]
    assert "Traceback" not in failed.text
    assert httpx.get(server.api("options"), timeout=10).json()["sd_model_checkpoint"] == models["tiny"]
    made = httpx.post(server.api("txt2img"), json={**SMALL, "seed": 1}, timeout=120)
    assert made.status_code == 200, made.text[:300]
    assert "Model: tiny" in json.loads(made.json()["info"])["infotexts"][0]


# --- 5. DNS rebinding and cross-site requests --------------------------------------------------
def test_rebound_host_names_are_refused_on_loopback(server):
    port = server.url.rstrip("/").rsplit(":", 1)[1]
    for host in ("evil.example", f"evil.example:{port}", "192.168.1.10", "localhost.evil.example"):
        for path in ("sdapi/v1/options", "", "config", "gradio_api/info"):
            reply = httpx.get(server.url + path, headers={"Host": host}, timeout=10)
            assert reply.status_code == 403, (host, path, reply.status_code)
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "localhost", f"[::1]:{port}"):
        assert httpx.get(server.api("options"), headers={"Host": host}, timeout=10).status_code == 200


def test_cross_site_requests_do_not_change_state(server):
    # What any web page can send without a CORS preflight: a simple request.
    simple = httpx.post(server.api("interrupt"), headers={"Content-Type": "text/plain"}, timeout=10)
    assert simple.status_code == 403
    form = httpx.post(server.api("options"), data={"sd_model_checkpoint": "x"}, timeout=10)
    assert form.status_code == 403
    foreign = httpx.post(server.api("interrupt"), timeout=10,
                         headers={"Origin": "http://evil.example", "Content-Type": "application/json"},
                         content="{}")
    assert foreign.status_code == 403
    page = httpx.post(server.url + "gradio_api/queue/join", timeout=10, json={},
                      headers={"Origin": "http://evil.example"})
    assert page.status_code == 403
    # Unchanged clients keep working: a bare POST (webuiapi's interrupt), JSON, the page's own origin.
    assert httpx.post(server.api("interrupt"), timeout=10).status_code == 200
    assert httpx.post(server.api("interrupt"), json={}, timeout=10).status_code == 200
    assert httpx.post(server.api("interrupt"), json={}, timeout=10,
                      headers={"Origin": server.url.rstrip("/")}).status_code == 200


def test_api_auth_also_covers_the_schema_and_docs(tmp_path, tiny_checkpoints):
    running = start_server(tmp_path / "home", [tiny_checkpoints["tiny"]], "--api-auth", "me:pw",
                           auth=("me", "pw"))
    try:
        for path in ("openapi.json", "docs"):
            assert httpx.get(running.url + path, timeout=10).status_code == 401
            assert httpx.get(running.url + path, timeout=10, auth=("me", "pw")).status_code == 200
        schema = httpx.get(running.url + "openapi.json", timeout=10, auth=("me", "pw")).json()
        assert "/sdapi/v1/txt2img" in schema["paths"]
    finally:
        stop_server(running)
