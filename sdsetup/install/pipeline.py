"""``sdsetup install``: the managed env from hashed locks, the right torch, offline pip, torch proven.

Steps: pick the interpreter and the torch variant (among the builds the locks cover); read the lock for that Python and platform and
the torch pin for that variant; if the env already holds exactly that, prove torch and stop
(seconds, no network). Otherwise read each mirror's listings, plan the files (:mod:`sdsetup.install.plan`),
fetch them through the download engine into ``<cache>/wheels`` (verified, resumable, failing over
between mirrors), check the torch wheel's own requirements against the locks
(:mod:`sdsetup.install.wheelmeta`), build a new env in place of the old one (:class:`sdsetup.install.venv.Swap`), install
with ``--no-index --find-links <wheels> --require-hashes`` so the installer never touches the
network, and prove torch in a subprocess. Any failure puts the previous env back.

Exceptions::

    SdsetupError
    └── InstallError      the installer failed, or torch did not prove itself in the new env
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from packaging.utils import canonicalize_name

from sdsetup import http
from sdsetup.install import lockfile, venv
from sdsetup.download import DownloadItem, Source, fetch_all
from sdsetup.download.cache import place
from sdsetup.download.hashing import sha256_file
from sdsetup.facts.envprobe import EnvReport, probe_env
from sdsetup.errors import SdsetupError
from sdsetup.facts import gather_facts
from sdsetup.home import Home
from sdsetup.i18n import t
from sdsetup.install.index import IndexReader
from sdsetup.install.index_pages import local_path
from sdsetup.install.lockfile import Pin, TorchPin
from sdsetup.mirrors.choice import mirror_chain, retry_hint
from sdsetup.mirrors.config import load_mirrors, Mirror, OFFICIAL_TORCH
from sdsetup.mirrors.memory import record_miss
from sdsetup.mirrors.pipconfig import package_sources
from sdsetup.install.plan import MirrorListing, Plan, PlannedFile, build_plan, requirements_text
from sdsetup.install.torch_backend import choose_for_install, parse_variant, variant_from_env
from sdsetup.units import human_size
from sdsetup.install.wheelmeta import marker_environment, read_metadata, unmet_requirements

WHEELS = "wheels"
INSTALLERS = ("auto", "uv", "pip")


class InstallError(SdsetupError):
    """The env could not be built, or torch in it did not work as planned."""


@dataclass(frozen=True)
class Request:
    mirror: str | None = None
    variant: str | None = None
    python: Path | None = None
    lock: Path | None = None
    installer: str = "auto"
    progress: bool | None = None


@dataclass(frozen=True)
class Prepared:
    """Everything decided before touching the network."""

    target: venv.Target
    chain: tuple[Mirror, ...]
    lock_path: Path
    pins: tuple[Pin, ...]
    torch: TorchPin
    device: str
    reasons: tuple[str, ...]

    def wanted_state(self) -> dict:
        """What a finished env records; an env recording the same needs no work."""
        digest = hashlib.sha256()
        for pin in self.pins:
            digest.update(pin.requirement_line().encode() + b"\n")
        return {"lock_sha256": digest.hexdigest(), "torch_file": self.torch.file,
                "variant": self.torch.variant, "python": self.target.version_text,
                "base_python": self.target.python.executable}


@dataclass(frozen=True)
class Outcome:
    status: str  # "installed" or "up_to_date"
    env: Path
    report: EnvReport
    plan: Plan | None = None
    fetched: int = 0
    tofu: tuple[str, ...] = ()
    misses: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    installer: str = ""

    def to_json(self) -> dict:
        report = dataclasses.asdict(self.report)
        report.pop("output", None)
        return {"status": self.status, "env": str(self.env), "torch": report,
                "installer": self.installer, "fetched": self.fetched, "tofu": list(self.tofu),
                "misses": list(self.misses), "timings": self.timings,
                "plan": self.plan.to_json() if self.plan else None}


# --------------------------------------------------------------------------- pure parts


def proof_problems(report: EnvReport, version: str, device: str) -> list[str]:
    """Why the env's torch is not what was planned, as catalogue keys (empty: proven)."""
    if report.torch_version is None:
        return ["install.proof_import"]
    problems = []
    if report.torch_version != version:
        problems.append("install.proof_version")
    if device == "cuda" and not report.cuda_available:
        problems.append("install.proof_no_cuda")
    if device == "mps" and not report.mps_available:
        problems.append("install.proof_no_mps")
    if not report.tensor_ok:
        problems.append("install.proof_tensor")
    return problems


def installer_command(installer: str, python: Path, wheels: Path, requirements: Path,
                      uv: str | None, cache: Path) -> list[str]:
    """The offline, hash-checked install: nothing but the wheelhouse, no configuration leaking in.

    uv keeps its unpacked wheels in sdsetup's cache (hard-linked into the env on the same disk, so
    they cost no extra space), which makes a rebuild after a lock change fast.
    """
    if installer == "uv" and uv:
        return [uv, "pip", "install", "--python", str(python), "--offline", "--no-index",
                "--find-links", str(wheels), "--require-hashes", "--no-config",
                "--cache-dir", str(cache), "-r", str(requirements)]
    return [str(python), "-m", "pip", "--isolated", "--disable-pip-version-check", "install",
            "--no-index", "--find-links", str(wheels), "--require-hashes", "--no-cache-dir",
            "-r", str(requirements)]


# --------------------------------------------------------------------------- side effects


def find_uv() -> str | None:
    """The uv binary on PATH or shipped by the ``uv`` package beside sdsetup, if any."""
    found = shutil.which("uv")
    if found:
        return found
    try:
        from uv import find_uv_bin  # type: ignore[import-not-found]

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return None


def choose(home: Home, target: venv.Target, requested: str | None,
           lock: Path | None = None) -> tuple[str, str, str, tuple[str, ...]]:
    """(variant, torch release, device, reasons) for this machine and interpreter, among the
    builds the locks cover (the doctor recommends from the same set)."""
    override = parse_variant(requested) if requested else variant_from_env(os.environ)
    facts = dataclasses.replace(gather_facts(home), python=target.python)
    installable = lockfile.installable_releases(facts.platform.key, target.python.version[:2], lock)
    choice = choose_for_install(facts, installable, override)
    reasons = tuple(message.text() for message in choice.reasons)
    if not choice.ok or not choice.torch_version:
        raise InstallError("install.no_variant", hint="install.hint_variant",
                           reasons="; ".join(reasons))
    device = choice.device
    if device == "cuda" and not (facts.nvidia_driver or facts.gpus):
        device = "cpu"  # a CUDA build forced on a machine without a GPU can only be proven on CPU
    return choice.variant, choice.torch_version, device, reasons


def prepare(home: Home, request: Request) -> Prepared:
    target = venv.inspect_python(request.python)
    venv.check_supported(target)
    variant, release, device, reasons = choose(home, target, request.variant, request.lock)
    lock_path = request.lock or lockfile.bundled_lock(target.lock_platform, target.python_tag)
    pins = tuple(p for p in lockfile.read_lock(lock_path) if p.name != "torch")
    pins += lockfile.runtime_pins(variant, target.lock_platform, target.python_tag, request.lock)
    pin = lockfile.find_torch_pin(lockfile.torch_pins(request.lock), release, variant,
                                  target.python_tag, target.lock_platform)
    pin = lockfile.with_tofu(pin, lockfile.recorded_hashes(home))
    chain = with_official_torch(mirror_chain(home, request.mirror), load_mirrors(home).get(OFFICIAL_TORCH))
    return Prepared(target, chain, lock_path, pins, pin, device, reasons)


def with_official_torch(chain: tuple[Mirror, ...], official: Mirror | None) -> tuple[Mirror, ...]:
    """Named mirrors' torch bytes fail over to the official PyTorch index as a last resort.

    That includes ``default``: the public index has no ``+cpu``/``+cuXYZ`` wheels. An ad hoc URL
    or folder stays the only source, so an offline or lab install never wanders off.
    """
    named = any(m.torch or m.from_pip_config for m in chain)
    if official is None or not named or any(m.torch == official.torch for m in chain):
        return chain
    fallback = dataclasses.replace(official, pypi=(), from_pip_config=False)
    return (*chain, fallback)


def read_listings(prepared: Prepared) -> list[MirrorListing]:
    """Each mirror's listing of every pinned project, read in parallel."""
    projects = [p.name for p in prepared.pins]
    listings = []
    with http.client(follow_redirects=True) as client, \
            ThreadPoolExecutor(max_workers=16) as pool:
        reader = IndexReader(client)
        for mirror in prepared.chain:
            sources = package_sources(mirror)
            base = mirror.torch_base(prepared.torch.variant)
            if not (sources.indexes or sources.find_links):  # a torch-only fallback
                listings.append(MirrorListing(mirror.name, {}, base))
                continue
            wanted = projects if base else ["torch", *projects]

            def files(project: str, s=sources) -> tuple:
                return tuple(reader.project_files(project, indexes=s.indexes, find_links=s.find_links))

            found = dict(zip((canonicalize_name(p) for p in wanted), pool.map(files, wanted)))
            listings.append(MirrorListing(mirror.name, found, base))
    return listings


@contextmanager
def other_way_on_failure(chain: Sequence[Mirror]) -> Iterator[None]:
    """A source that failed is raised with ``install.hint_other_mirror`` (try ``auto``); only here
    is it known whether ``auto`` itself is what failed, which makes the hint the other way."""
    try:
        yield
    except SdsetupError as err:
        if err.hint == "install.hint_other_mirror":
            err.hint = retry_hint(m.name for m in chain)
        raise


def make_plan(prepared: Prepared) -> Plan:
    tags = venv.target_tags(prepared.target)
    with other_way_on_failure(prepared.chain):
        return with_sizes(build_plan(prepared.pins, prepared.torch, tags,
                                     prepared.target.version_text, read_listings(prepared)))


def _remote_size(client: httpx.Client, f: PlannedFile) -> int | None:
    for _, url in f.sources:
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        try:
            response = client.head(url, headers={"Accept-Encoding": "identity"})
        except (httpx.HTTPError, httpx.InvalidURL):
            continue
        length = response.headers.get("content-length", "")
        if response.status_code == 200 and length.isdigit():
            return int(length)
    return None


def with_sizes(plan: Plan) -> Plan:
    """Sizes for files whose listing gave none (PEP 503 HTML has no sizes): one HEAD each.

    Known sizes make the dry run's total complete, the progress bar exact, and let the download
    engine check each file's length.
    """
    unknown = [f for f in plan.files if f.size is None]
    if not unknown:
        return plan
    with http.client(timeout=15.0, follow_redirects=True) as client, \
            ThreadPoolExecutor(max_workers=16) as pool:
        sizes = dict(zip((f.filename for f in unknown), pool.map(lambda f: _remote_size(client, f), unknown)))
    return dataclasses.replace(plan, files=tuple(
        dataclasses.replace(f, size=sizes[f.filename]) if f.filename in sizes else f for f in plan.files))


def lazy_misses(plan: Plan, chain: Sequence[Mirror]) -> list[tuple[str, str]]:
    """(mirror, origin host) for each lazy cache that would bounce this plan's torch to its origin.

    The download still goes ahead through the redirect; the miss is reported and recorded.
    """
    lazy = {m.name: m for m in chain if m.torch_layout == "lazy"}
    misses = []
    with http.client(timeout=15.0) as client:
        for mirror_name, url in plan.torch_file().sources:
            mirror = lazy.get(mirror_name)
            if mirror is None:
                continue
            try:
                response = client.head(url)
            except (httpx.HTTPError, httpx.InvalidURL):
                continue
            host = urlsplit(response.headers.get("location", "")).hostname
            if response.is_redirect and host in mirror.torch_origin:
                misses.append((mirror_name, host))
    return misses


def _check_allowed(f: PlannedFile) -> Callable[[Path], None] | None:
    """Hash-less listings: the bytes must still match one of the lock's hashes."""
    if f.sha256 or not f.allowed:
        return None

    def validate(path: Path) -> None:
        actual = sha256_file(path)
        if actual not in f.allowed:
            raise InstallError("install.not_in_lock", hint="install.hint_other_mirror",
                               file=f.filename, actual=actual)

    return validate


def _copy_local(f: PlannedFile, dest: Path) -> bool:
    """Take the file from a local mirror (file:// or folder) if one has it with the right hash."""
    for _, url in f.sources:
        if urlsplit(url).scheme != "file" or not local_path(url).is_file():
            continue
        place(local_path(url), dest)
        actual = sha256_file(dest)
        if actual == f.sha256 or (not f.sha256 and (not f.allowed or actual in f.allowed)):
            return True
        dest.unlink()
    return False


def fetch_plan(home: Home, plan: Plan, request: Request) -> tuple[dict[str, Path], int]:
    """Every planned file in ``<cache>/wheels``, verified; returns paths and how many were missing."""
    wheels = home.cache_dir / WHEELS
    wheels.mkdir(parents=True, exist_ok=True)
    paths, items = {}, []
    for f in plan.files:
        dest = wheels / f.filename
        paths[f.filename] = dest
        if _copy_local(f, dest):
            continue
        remote = tuple(Source(url, name=mirror) for mirror, url in f.sources
                       if urlsplit(url).scheme in ("http", "https"))
        if not remote:
            raise InstallError("install.local_missing", hint="install.hint_other_mirror",
                               file=f.filename, mirrors=", ".join(m for m, _ in f.sources))
        items.append(DownloadItem(remote, dest, f.sha256, f.size, validate=_check_allowed(f)))
    missing = sum(1 for item in items if not item.dest.exists())
    fetch_all(items, cache_dir=home.cache_dir, progress=request.progress)
    return paths, missing


@contextmanager
def planned_wheelhouse(home: Home, files: Iterable[Path]) -> Iterator[Path]:
    """A folder holding exactly the planned wheels (links into the cache).

    The cache keeps every wheel ever fetched; an installer looking at all of them could pick
    another build of the same version (another tag) and then fail its hash check.
    """
    folder = Path(tempfile.mkdtemp(prefix="wheelhouse-", dir=home.cache_dir))
    try:
        for path in files:
            place(path, folder / path.name)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_installer(home: Home, request: Request, python: Path, wheels: Path, requirements: Path,
                  say: Callable[[str], None]) -> str:
    uv = find_uv() if request.installer in ("auto", "uv") else None
    if request.installer == "uv" and not uv:
        raise InstallError("install.no_uv", hint="install.hint_no_uv")
    installer = "uv" if uv else "pip"
    say(t("install.installing", installer=installer))
    command = installer_command(installer, python, wheels, requirements, uv, home.cache_dir / "uv")
    try:
        done = subprocess.run(command, capture_output=True, text=True)
    except OSError as err:
        raise InstallError("install.installer_failed", hint="install.hint_report", installer=installer,
                           detail=f"{command[0]}: {err.strerror or err}") from err
    if done.returncode != 0:
        raise InstallError("install.installer_failed", hint="install.hint_report",
                           installer=installer, detail=(done.stderr or done.stdout).strip()[-1500:])
    return installer


def check_runtime(prepared: Prepared, torch_wheel: Path) -> None:
    """Stop before the env is touched when the torch wheel needs what the locks do not pin."""
    environment = marker_environment(prepared.target.lock_platform, prepared.target.version_text)
    unmet = unmet_requirements(read_metadata(torch_wheel), prepared.pins, environment)
    if unmet:
        raise InstallError("install.runtime_unmet", hint="install.hint_runtime_unmet",
                           file=prepared.torch.file, count=len(unmet), missing=", ".join(unmet),
                           variant=prepared.torch.variant)


def prove(python: Path, prepared: Prepared) -> EnvReport:
    report = probe_env(python, prepared.device, timeout=180)
    problems = proof_problems(report, prepared.torch.version, prepared.device)
    if problems:
        raise InstallError(
            "install.proof_failed", hint="install.hint_doctor",
            why="; ".join(t(key, expected=prepared.torch.version, found=report.torch_version or "-",
                            device=prepared.device, error=report.error or "-") for key in problems),
        )
    return report


def install(home: Home, request: Request, say: Callable[[str], None]) -> Outcome:
    started = time.monotonic()
    venv.recover(home.env_dir)
    prepared = prepare(home, request)
    for reason in prepared.reasons:
        say(reason)
    wanted = prepared.wanted_state()
    python = home.env_python()
    if venv.read_state(home.env_dir) == wanted and python.exists():
        say(t("install.up_to_date", env=str(home.env_dir)))
        try:
            report = prove(python, prepared)
            return Outcome("up_to_date", home.env_dir, report,
                           timings={"total": round(time.monotonic() - started, 2)})
        except InstallError as err:  # changed behind our back: build it again from the lock
            say(t("install.rebuilding", why=err.params["why"]))
    timings: dict[str, float] = {}
    mark = time.monotonic()
    plan = make_plan(prepared)
    misses = lazy_misses(plan, prepared.chain)
    for mirror, host in misses:
        record_miss(home, mirror, host)
        say(t("install.lazy_miss", mirror=mirror, host=host))
    timings["plan"] = round(time.monotonic() - mark, 2)
    say(t("install.plan_summary", count=len(plan.files), size=human_size(plan.known_size),
          mirrors=", ".join(m.name for m in prepared.chain)))
    mark = time.monotonic()
    with other_way_on_failure(prepared.chain):
        paths, fetched = fetch_plan(home, plan, request)
    timings["download"] = round(time.monotonic() - mark, 2)
    torch_sha, tofu = prepared.torch.sha256, ()
    if torch_sha is None:
        torch_sha = lockfile.record_hash(home, prepared.torch.file, paths[prepared.torch.file])
        tofu = (prepared.torch.file,)
        say(t("install.tofu", file=prepared.torch.file, sha256=torch_sha,
              record=str(home.root / lockfile.TOFU_FILE)))
    check_runtime(prepared, paths[prepared.torch.file])
    mark = time.monotonic()
    say(t("install.building", env=str(home.env_dir), python=prepared.target.version_text))
    with venv.Swap(home.env_dir):
        venv.create(prepared.target, home.env_dir)
        requirements = home.env_dir / "sdsetup-requirements.txt"
        requirements.write_text(requirements_text(plan, torch_sha), encoding="utf-8")
        timings["venv"] = round(time.monotonic() - mark, 2)
        mark = time.monotonic()
        with planned_wheelhouse(home, paths.values()) as wheelhouse:
            installer = run_installer(home, request, python, wheelhouse, requirements, say)
        timings["install"] = round(time.monotonic() - mark, 2)
        mark = time.monotonic()
        say(t("install.proving", device=prepared.device))
        report = prove(python, prepared)
        timings["prove"] = round(time.monotonic() - mark, 2)
        venv.write_state(home.env_dir, wanted)
    timings["total"] = round(time.monotonic() - started, 2)
    return Outcome("installed", home.env_dir, report, plan, fetched, tofu,
                   tuple(f"{m} → {h}" for m, h in misses), timings, installer)

