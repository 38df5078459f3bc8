"""Benchmark ``sdsetup install`` against plain ``pip install -r <lock>`` from the same mirror.

    python bench/install.py [--rate BYTES_PER_S] [--runs N] [--wheels DIR]

A loopback PEP 503 mirror is built from the wheels of the bundled lock for this interpreter (plus
the CPU torch wheel), fetched by ``pip download`` through whatever sources pip is configured with,
written as an index by ``sdsetup mirror export``'s code and served as static files with byte
ranges (as nginx would). Then, each in a fresh folder:

- cold sdsetup: empty home, ``sdsetup install --mirror <loopback> --variant cpu`` (venv, download,
  offline install, torch proven), once with each installer available (uv, pip);
- cold pip: ``python -m venv`` + ``pip --isolated install --no-cache-dir --require-hashes -r`` the
  same lock, ``--index-url <loopback>`` (no torch check);
- warm sdsetup: the same install command again in the home of the first cold run.

``--rate`` caps every connection of the mirror (bytes/s), as many real mirrors do per connection.
Prints one Markdown table row per measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sdsetup.install.pipeline import find_uv  # noqa: E402
from sdsetup.install.lockfile import bundled_lock, find_torch_pin, torch_pins  # noqa: E402
from sdsetup.install.venv import current_target  # noqa: E402
from sdsetup.install.wheelhouse import export  # noqa: E402


def requirements(folder: Path) -> Path:
    """The bundled lock for this interpreter plus its hashed CPU torch pin."""
    here = current_target()
    lock = bundled_lock(here.lock_platform, here.python_tag)
    pin = find_torch_pin(torch_pins(), "2.13.0", "cpu", here.python_tag, here.lock_platform)
    path = folder / "requirements.txt"
    path.write_text(lock.read_text(encoding="utf-8")
                    + f"\ntorch=={pin.version} --hash=sha256:{pin.sha256}\n", encoding="utf-8")
    return path


def download(req: Path, dest: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                    "--require-hashes", "-q", "-r", str(req), "-d", str(dest)], check=True)


class StaticMirror(SimpleHTTPRequestHandler):
    """What a lab's nginx would be: static files, byte ranges, an optional per-connection cap."""

    protocol_version = "HTTP/1.1"
    rate: int | None = None

    def log_message(self, format, *args) -> None:  # noqa: A002 - keep the bench output clean
        pass

    def send_head(self):
        wanted = re.match(r"bytes=(\d+)-(\d*)$", self.headers.get("Range", ""))
        path = Path(self.translate_path(self.path))
        if not wanted or not path.is_file():
            self.span = None
            return super().send_head()
        size = path.stat().st_size
        start = int(wanted[1])
        end = min(int(wanted[2]) + 1 if wanted[2] else size, size)
        handle = path.open("rb")
        handle.seek(start)
        self.span = end - start
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        self.send_header("Content-Length", str(end - start))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        return handle

    def copyfile(self, source, outputfile) -> None:
        left = self.span
        started, sent = time.monotonic(), 0
        while left is None or left > 0:
            chunk = source.read(min(65536, left) if left is not None else 65536)
            if not chunk:
                break
            try:
                outputfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client closed early (a cancelled range): nothing to report
            sent += len(chunk)
            left = None if left is None else left - len(chunk)
            if self.rate:
                time.sleep(max(0.0, started + sent / self.rate - time.monotonic()))


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        # Clients drop connections on purpose (cancelled ranges, finished keep-alives).
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


@contextmanager
def serve(tree: Path, rate: int | None):
    handler = partial(type("Mirror", (StaticMirror,), {"rate": rate}), directory=str(tree))
    server = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def sdsetup_install(home: Path, mirror: str, installer: str) -> tuple[float, dict[str, float]]:
    """Wall time of one ``sdsetup install``, and the phases it reports."""
    env = dict(os.environ, SDSETUP_HOME=str(home), SDSETUP_LANG="en")
    command = [sys.executable, "-m", "sdsetup", "install", "--mirror", mirror, "--variant", "cpu",
               "--installer", installer, "--json"]
    started = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return time.monotonic() - started, json.loads(done.stdout)["timings"]


def pip_install(folder: Path, mirror: str, req: Path) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(folder / "venv")], check=True)
    python = folder / "venv" / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    subprocess.run([str(python), "-m", "pip", "--isolated", "--disable-pip-version-check", "install",
                    "--no-cache-dir", "--index-url", mirror, "--require-hashes", "-q", "-r", str(req)],
                   check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=None, help="per-connection cap, bytes/s")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--wheels", type=Path, help="reuse this folder of downloaded wheels")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sdsetup-bench-"))
    try:
        req = requirements(work)
        wheels = args.wheels or work / "wheels"
        if not any(wheels.glob("*.whl")):
            wheels.mkdir(parents=True, exist_ok=True)
            download(req, wheels)
        exported = export(wheels, work / "tree")
        installers = ["uv", "pip"] if find_uv() else ["pip"]
        rows = []
        with serve(work / "tree", args.rate) as mirror:
            cases = {f"sdsetup install, cold ({name})": name for name in installers}
            results: dict[str, list[float]] = {name: [] for name in [*cases, "pip install -r lock, cold",
                                                                       "sdsetup install, warm re-run"]}
            phases: dict[str, list[dict[str, float]]] = {label: [] for label in cases}
            for run in range(args.runs):
                homes = []
                for label, installer in cases.items():
                    home = work / f"home-{installer}-{run}"
                    wall, timings = sdsetup_install(home, mirror, installer)
                    results[label].append(wall)
                    phases[label].append(timings)
                    homes.append(home)
                results["pip install -r lock, cold"].append(pip_install(work / f"pip-{run}", mirror, req))
                results["sdsetup install, warm re-run"].append(sdsetup_install(homes[0], mirror, "auto")[0])
                for home in homes[1:]:
                    shutil.rmtree(home, ignore_errors=True)
            for label, times in results.items():
                rows.append(f"| {label} | {statistics.median(times):.1f} s | "
                            f"{', '.join(f'{t:.1f}' for t in times)} |")
        rate = f"{args.rate / 1e6:.0f} MB/s per connection" if args.rate else "unthrottled"
        print(f"{exported.files} wheels, {exported.size / 1e6:.0f} MB, loopback mirror, {rate}\n")
        print("| case | median | runs |\n|---|---|---|")
        print("\n".join(rows))
        names = ["plan", "download", "venv", "install", "prove"]
        print("\n| sdsetup phases (median s) | " + " | ".join(names) + " |")
        print("|---" * (len(names) + 1) + "|")
        for label, runs in phases.items():
            print(f"| {label} | " + " | ".join(
                f"{statistics.median(r.get(n, 0.0) for r in runs):.1f}" for n in names) + " |")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
