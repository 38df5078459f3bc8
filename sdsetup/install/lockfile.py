"""The pinned, hashed sets the managed env is built from (``sdsetup/data/lockfiles``, which the
repository's top-level ``lockfiles/`` links to).

``webui-<platform>-cp3XX.txt`` pin everything but torch (pip-compile's ``--generate-hashes``
format); ``torch-runtime-<variant>-<platform>-cp3XX.txt`` pin the runtime wheels a Linux GPU build
loads (nvidia-*, triton); ``torch.toml`` pins the torch wheel per release, variant, Python and
platform, with its
sha256 where one is known. Where none is, the first verified download's hash is trusted and
recorded in ``<home>/torch-hashes.json`` (trust on first use), and later installs hold to it.
:func:`installable_releases` narrows the torch releases to what these files can install for a
platform and Python; ``doctor`` and ``install`` both choose from it.

Exceptions::

    SdsetupError
    └── LockError        a lockfile that is malformed, or no lock for this Python/platform/variant
"""

from __future__ import annotations

import re
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from sdsetup.errors import SdsetupError
from sdsetup.home import Home
from sdsetup.jsonstate import read_json, write_json
from sdsetup.install.torch_tables import SUPPORTED, Release

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

TOFU_FILE = "torch-hashes.json"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(;[^\\]*)?\\?\s*$")
_HASH = re.compile(r"^--hash=sha256:([0-9a-fA-F]{64})\s*\\?\s*$")
_TORCH_KEYS = {"release", "variant", "python", "platform", "file", "sha256"}
FACT_PLATFORMS = {"linux-x86_64": "linux_x86_64", "windows-x86_64": "win_amd64"}
"""Platform keys of the machine facts (torch_tables) → the platform part of lockfile names."""


class LockError(SdsetupError):
    """A lockfile that cannot be used."""


@dataclass(frozen=True)
class Pin:
    """One locked requirement: ``name==version`` and the sha256 of every file allowed for it."""

    name: str
    version: str
    hashes: frozenset[str]

    def requirement_line(self) -> str:
        hashes = " ".join(f"--hash=sha256:{h}" for h in sorted(self.hashes))
        return f"{self.name}=={self.version} {hashes}"


@dataclass(frozen=True)
class TorchPin:
    release: str
    variant: str
    python: str
    platform: str
    file: str
    sha256: str | None

    @property
    def version(self) -> str:
        """The full version, with the local label the file name carries (2.13.0+cpu)."""
        return self.file.split("-")[1].replace("%2B", "+")


def _bad(file: str, line: int, detail: str) -> LockError:
    return LockError("install.lock_malformed", hint="install.hint_lock", file=file, line=line,
                     detail=detail)


def parse_lock(text: str, file: str) -> tuple[Pin, ...]:
    """Pins of a pip-compile ``--generate-hashes`` file; every pin needs ``==`` and a sha256."""
    pins: list[Pin] = []
    current: tuple[str, str, int] | None = None
    hashes: set[str] = set()

    def close() -> None:
        if current is None:
            return
        if not hashes:
            raise _bad(file, current[2], f"{current[0]}=={current[1]} has no --hash=sha256")
        pins.append(Pin(canonicalize_name(current[0]), current[1], frozenset(hashes)))

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if line.startswith("--hash="):
            found = _HASH.match(line)
            if current is None or not found:
                raise _bad(file, number, line)
            hashes.add(found.group(1).lower())
            continue
        found = _PIN.match(line)
        if not found:
            raise _bad(file, number, line)
        close()
        try:
            Version(found.group(2))
        except InvalidVersion as err:
            raise _bad(file, number, line) from err
        current, hashes = (found.group(1), found.group(2), number), set()
    close()
    return tuple(pins)


def parse_torch_pins(text: str, file: str) -> tuple[TorchPin, ...]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise _bad(file, 0, str(err)) from err
    pins = []
    for i, entry in enumerate(data.get("wheel", [])):
        missing = {"release", "variant", "python", "platform", "file"} - entry.keys()
        unknown = entry.keys() - _TORCH_KEYS
        if missing or unknown:
            raise _bad(file, 0, f"[[wheel]] #{i + 1}: missing {sorted(missing)} unknown {sorted(unknown)}")
        pins.append(TorchPin(entry["release"], entry["variant"], entry["python"], entry["platform"],
                             entry["file"], (entry.get("sha256") or "").lower() or None))
    return tuple(pins)


def find_torch_pin(pins: Sequence[TorchPin], release: str, variant: str, python: str,
                   platform: str) -> TorchPin:
    for pin in pins:
        if (pin.release, pin.variant, pin.python, pin.platform) == (release, variant, python, platform):
            return pin
    offered = sorted({p.variant for p in pins if (p.release, p.python, p.platform)
                      == (release, python, platform)})
    raise LockError("install.no_torch_pin", hint="install.hint_variant", release=release,
                    variant=variant, python=python, platform=platform,
                    offered=", ".join(offered) or "-")


def lock_name(platform: str, python: str) -> str:
    return f"webui-{platform}-{python}.txt"


def runtime_lock_name(variant: str, platform: str, python: str) -> str | None:
    """The lock of the runtime wheels a torch build needs beside itself, if it needs any.

    Linux GPU builds load CUDA (or ROCm) from separate wheels (nvidia-*, triton); CPU builds and
    Windows builds carry what they need.
    """
    if variant == "cpu" or not platform.startswith("linux"):
        return None
    return f"torch-runtime-{variant}-{platform}-{python}.txt"


def with_tofu(pin: TorchPin, recorded: Mapping[str, str]) -> TorchPin:
    """The pin with the hash recorded on first use, when the lock itself has none."""
    if pin.sha256 or pin.file not in recorded:
        return pin
    return TorchPin(pin.release, pin.variant, pin.python, pin.platform, pin.file, recorded[pin.file])


def covered_releases(releases: Sequence[Release], pins: Sequence[TorchPin],
                     runtime_locks: Collection[str], platform_key: str,
                     python: tuple[int, int]) -> tuple[Release, ...]:
    """The releases, narrowed to the variants the locks can install here.

    A variant stays when torch.toml pins its wheel for this Python and platform and, for a build
    that loads its runtime from separate wheels, that runtime lock exists. Releases left with no
    variant are dropped, so the doctor never recommends what ``sdsetup install`` cannot build.
    """
    lock_platform = FACT_PLATFORMS.get(platform_key)
    tag = f"cp{python[0]}{python[1]}"
    pinned = {(p.release, p.variant) for p in pins if (p.python, p.platform) == (tag, lock_platform)}
    narrowed = []
    for release in releases:
        variants = {
            variant: frozenset({platform_key}) for variant in release.variants
            if release.has(variant, platform_key, python) and (release.version, variant) in pinned
            and runtime_lock_name(variant, lock_platform or "", tag) in (None, *runtime_locks)
        }
        if variants:
            narrowed.append(replace(release, variants=variants))
    return tuple(narrowed)


# --------------------------------------------------------------------------- side effects


def lock_dir() -> Path:
    return Path(str(resources.files("sdsetup") / "data" / "lockfiles"))


def read_lock(path: Path) -> tuple[Pin, ...]:
    try:
        return parse_lock(path.read_text(encoding="utf-8"), str(path))
    except OSError as err:
        raise LockError("install.lock_unreadable", hint="install.hint_lock", file=str(path),
                        detail=err.strerror or str(err)) from err


def bundled_lock(platform: str, python: str) -> Path:
    path = lock_dir() / lock_name(platform, python)
    if not path.is_file():
        offered = sorted(p.name for p in lock_dir().glob("webui-*.txt"))
        raise LockError("install.no_lock", hint="install.hint_python", platform=platform,
                        python=python, offered=", ".join(offered))
    return path


def runtime_pins(variant: str, platform: str, python: str, lock: Path | None = None) -> tuple[Pin, ...]:
    """The runtime wheels of this torch build, from beside ``--lock`` or the bundled folder."""
    name = runtime_lock_name(variant, platform, python)
    if name is None:
        return ()
    folder = lock.parent if lock else lock_dir()
    if not (folder / name).is_file():
        offered = sorted(p.name.split("-")[2] for p in folder.glob(f"torch-runtime-*-{platform}-{python}.txt"))
        raise LockError("install.no_runtime_lock", hint="install.hint_runtime", variant=variant,
                        platform=platform, python=python, offered=", ".join(offered) or "-",
                        suggestion=offered[-1] if offered else "cpu")
    return read_lock(folder / name)


def torch_pins(lock: Path | None = None) -> tuple[TorchPin, ...]:
    """The torch pins beside a user's ``--lock`` file when it has a torch.toml, else the bundled ones."""
    beside = lock.parent / "torch.toml" if lock else None
    path = beside if beside and beside.is_file() else lock_dir() / "torch.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise LockError("install.lock_unreadable", hint="install.hint_lock", file=str(path),
                        detail=err.strerror or str(err)) from err
    return parse_torch_pins(text, str(path))


def installable_releases(platform_key: str, python: tuple[int, int], lock: Path | None = None,
                         releases: Sequence[Release] = SUPPORTED) -> tuple[Release, ...]:
    """What ``sdsetup install`` can build for this platform and Python (doctor and install agree)."""
    folder = lock.parent if lock else lock_dir()
    runtime = {path.name for path in folder.glob("torch-runtime-*.txt")}
    return covered_releases(releases, torch_pins(lock), runtime, platform_key, python)


def recorded_hashes(home: Home) -> dict[str, str]:
    """Trusted-on-first-use sha256s by wheel filename; entries of the wrong shape (a hand-edited
    file) are dropped, so the wheel is simply verified and recorded again."""
    data = read_json(home.root / TOFU_FILE)
    if not isinstance(data, dict):
        return {}
    return {name: digest.lower() for name, digest in data.items()
            if isinstance(name, str) and isinstance(digest, str)
            and re.fullmatch(r"[0-9a-fA-F]{64}", digest)}


def record_hash(home: Home, filename: str, path: Path) -> str:
    """Trust on first use: hash the verified download and remember it for every later install."""
    # Imported here: the download package brings the HTTP client, which the pure planner (a user
    # of this module) must not load.
    from sdsetup.download.hashing import sha256_file

    recorded = recorded_hashes(home)
    recorded[filename] = sha256_file(path)
    write_json(home.root / TOFU_FILE, recorded)
    return recorded[filename]
