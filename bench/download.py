"""Download benchmark: sdsetup against pip, curl and aria2c over a throttled, lossy loopback link.

The server (tests/support/fileserver.py) caps each connection (like a mirror's per-connection
limit over a long international path), caps all connections together (the user's link), and
resets connections now and then. It serves one >= 128 MiB wheel, with a simple index so that
``pip download`` fetches the very same bytes. Each contender runs alone, one after another.

    python bench/download.py [--size-mib 128] [--per-conn-mib 2] [--link-mib 12]
                             [--reset-every-mib 24] [--only sdsetup,aria2c] [--repeat 1]

Prints a Markdown table (wall time, throughput, share of the link cap, success) for
bench/RESULTS.md. With ``--repeat N`` the contenders take turns N times and the table shows
each one's median run (other work on a shared machine makes single runs noisy). aria2c is installed with apt-get when missing (Debian's ``aria2``).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.fileserver import Fault, FileServer  # noqa: E402

MIB = 1024 * 1024
WHEEL = "benchpkg-1.0-py3-none-any.whl"


@dataclass(frozen=True)
class Outcome:
    name: str
    seconds: float
    ok: bool
    note: str
    runs: tuple[float, ...] = ()


def make_wheel(size: int) -> bytes:
    """A valid, uncompressed wheel of about ``size`` bytes (pip opens what it downloads)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as wheel:
        wheel.writestr("benchpkg/__init__.py", "")
        wheel.writestr("benchpkg/blob.bin", os.urandom(size))
        wheel.writestr("benchpkg-1.0.dist-info/METADATA",
                       "Metadata-Version: 2.1\nName: benchpkg\nVersion: 1.0\n")
        wheel.writestr("benchpkg-1.0.dist-info/WHEEL",
                       "Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\n"
                       "Tag: py3-none-any\n")
        wheel.writestr("benchpkg-1.0.dist-info/RECORD", "")
    return buffer.getvalue()


def ensure_aria2c() -> str | None:
    if shutil.which("aria2c"):
        return shutil.which("aria2c")
    subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "aria2"], check=False, capture_output=True)
    return shutil.which("aria2c")


def commands(url: str, index: str, out: Path, digest: str) -> dict[str, list[str]]:
    target = str(out / WHEEL)
    return {
        "sdsetup (default, 8 connections)": [
            sys.executable, "-m", "sdsetup", "download", url, "-o", target, "--sha256", digest,
            "--quiet"],
        "sdsetup --connections 1": [
            sys.executable, "-m", "sdsetup", "download", url, "-o", target, "--sha256", digest,
            "--quiet", "--connections", "1"],
        "aria2c -x8": [
            "aria2c", "-x8", "-s8", "-k1M", "--max-tries=0", "--retry-wait=1",
            "--console-log-level=error", "--summary-interval=0", "--allow-overwrite=true",
            f"--checksum=sha-256={digest}", "-d", str(out), "-o", WHEEL, url],
        "curl --retry": [
            "curl", "-sS", "-f", "--retry", "10", "--retry-all-errors", "--retry-delay", "1",
            "-C", "-", "-o", target, url],
        "pip download": [
            sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir",
            "--disable-pip-version-check", "--index-url", index, "-d", str(out),
            "benchpkg==1.0"],
    }


def run_one(name: str, argv: list[str], out: Path, expected: bytes, home: Path) -> Outcome:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    shutil.rmtree(home, ignore_errors=True)  # sdsetup's cache must not short-circuit a rerun
    # No pip configuration (find-links, extra indexes) may leak in: only this server counts.
    env = dict(os.environ, SDSETUP_HOME=str(home), PIP_CONFIG_FILE=os.devnull)
    started = time.monotonic()
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    path = out / WHEEL
    ok = result.returncode == 0 and path.is_file() and path.read_bytes() == expected
    note = "" if ok else (result.stderr.strip().splitlines() or ["exit %d" % result.returncode])[-1]
    return Outcome(name, seconds, ok, note[:100])


def contend(name: str, argv: list[str], scratch: Path, wheel: bytes) -> Outcome:
    if shutil.which(argv[0]) is None and argv[0] != sys.executable:
        return Outcome(name, 0.0, False, f"{argv[0]} not installed")
    return run_one(name, argv, scratch / "out", wheel, scratch / "home")


def median(runs: list[Outcome]) -> Outcome:
    """The median run by time; a contender that failed any round is reported as failing."""
    ordered = sorted(runs, key=lambda o: o.seconds)
    middle = ordered[len(ordered) // 2]
    failed = next((o for o in runs if not o.ok), None)
    times = tuple(o.seconds for o in runs)
    return Outcome(middle.name, middle.seconds, failed is None,
                   failed.note if failed else "", times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=128)
    parser.add_argument("--per-conn-mib", type=float, default=2.0)
    parser.add_argument("--link-mib", type=float, default=12.0)
    parser.add_argument("--reset-every-mib", type=float, default=24.0,
                        help="mean bytes between connection resets")
    parser.add_argument("--only", help="comma-separated name prefixes of contenders to run")
    parser.add_argument("--repeat", type=int, default=1, help="rounds; the median is reported")
    args = parser.parse_args()
    if not ensure_aria2c():
        print("aria2c is missing and could not be installed", file=sys.stderr)
    wheel = make_wheel(args.size_mib * MIB)
    digest = hashlib.sha256(wheel).hexdigest()
    fault = Fault(throttle=int(args.per_conn_mib * MIB),
                  reset_chance=65536 / (args.reset_every_mib * MIB))
    with FileServer(link_rate=args.link_mib * MIB) as server:
        server.files[f"/files/{WHEEL}"] = wheel
        server.fault(f"/files/{WHEEL}", fault)
        server.files["/simple/benchpkg/"] = (
            f'<html><body><a href="../../files/{WHEEL}#sha256={digest}">{WHEEL}</a>'
            "</body></html>").encode()
        url, index = server.url(f"/files/{WHEEL}"), server.url("/simple/")
        rounds: dict[str, list[Outcome]] = {}
        with tempfile.TemporaryDirectory(prefix="sdsetup-bench-") as scratch:
            chosen = {name: argv
                      for name, argv in commands(url, index, Path(scratch) / "out", digest).items()
                      if not args.only or any(name.startswith(p) for p in args.only.split(","))}
            for _ in range(args.repeat):
                for name, argv in chosen.items():
                    outcome = contend(name, argv, Path(scratch), wheel)
                    print(f"{name}: {outcome.seconds:.1f} s ok={outcome.ok} {outcome.note}",
                          file=sys.stderr)
                    rounds.setdefault(name, []).append(outcome)
    outcomes = [median(runs) for runs in rounds.values()]
    print_table(outcomes, args, len(wheel))
    return 0


def print_table(outcomes: list[Outcome], args: argparse.Namespace, size: int) -> None:
    print(f"File {size / MIB:.0f} MiB; link cap {args.link_mib:g} MiB/s; "
          f"{args.per_conn_mib:g} MiB/s per connection; a reset every ~{args.reset_every_mib:g} "
          f"MiB on average; {platform.machine()}, {os.cpu_count()} cores; "
          f"{time.strftime('%Y-%m-%d', time.gmtime())}.\n")
    print("| contender | wall time (s) | all runs (s) | MiB/s | share of link cap | ok | note |")
    print("|---|---:|---|---:|---:|---|---|")
    for o in outcomes:
        rate = size / MIB / o.seconds if o.ok and o.seconds else 0.0
        runs = ", ".join(f"{t:.1f}" for t in o.runs)
        print(f"| {o.name} | {o.seconds:.1f} | {runs} | {rate:.1f} | {rate / args.link_mib:.0%} | "
              f"{'yes' if o.ok else 'no'} | {o.note} |")


if __name__ == "__main__":
    sys.exit(main())
