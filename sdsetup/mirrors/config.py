"""Which mirrors exist, what each serves, and which one this run uses.

The bundled ``sdsetup/data/mirrors.toml`` (``mirrors.toml`` at the top of the repository links to
it; the real file lives in the package so that checkouts without symlinks still ship it) is read
first; the user's file (``SDSETUP_MIRRORS`` or ``<home>/mirrors.toml``) overrides keys of a
mirror it names and adds new ones. ``--mirror`` takes a name, ``auto`` (the per-role choice of the
last probe, see :mod:`sdsetup.mirrors.probe`), an ad hoc URL or folder (a PEP 503 index or a
wheelhouse used for every package, torch included), or several of those separated by commas, in
failover order.

Exceptions::

    SdsetupError
    └── MirrorError              an unknown mirror name, an unusable --mirror value
        └── MirrorConfigError    a mirrors.toml that is not valid; names the file, line and key
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sdsetup.errors import SdsetupError
from sdsetup.home import Home
from sdsetup.i18n import t

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

PIP_CONFIG = "pip-config"
"""The ``pypi`` value of the ``default`` mirror: read pip's own configuration at run time."""

TORCH_LAYOUTS = ("index", "flat", "lazy")
PACKAGES = "packages"
"""``torch_layout`` of a mirror that has no torch base: torch is looked up among its packages."""

OFFICIAL_TORCH = "pytorch"
DEFAULT = "default"
AUTO = "auto"

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_STRING_KEYS = ("name_en", "name_zh", "pypi", "torch", "torch_layout", "huggingface", "civitai")
_KEYS = frozenset(_STRING_KEYS) | {"torch_origin"}


class MirrorError(SdsetupError):
    """A mirror that cannot be used as asked."""


class MirrorConfigError(MirrorError):
    """A mirrors.toml that is not valid."""


@dataclass(frozen=True)
class PackageSources:
    """Where a mirror's packages are listed: simple indexes, then flat listings or folders."""

    indexes: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mirror:
    """One place to take files from, by role: packages, torch wheels, models."""

    name: str
    name_en: str
    name_zh: str
    pypi: tuple[str, ...] = ()
    """PEP 503 / PEP 691 simple indexes, or flat listings and folders of wheels (any of them)."""
    torch: str | None = None
    """PyTorch wheel base with ``{variant}``; None when torch is one of the packages."""
    torch_layout: str = PACKAGES
    torch_origin: tuple[str, ...] = ()
    huggingface: str | None = None
    civitai: str | None = None
    from_pip_config: bool = False
    """``pypi`` is whatever pip is configured with; see :func:`pip_package_sources`."""

    def display_name(self, lang: str) -> str:
        return self.name_zh if lang.startswith("zh") else self.name_en

    def torch_base(self, variant: str) -> str | None:
        return self.torch.replace("{variant}", variant) if self.torch else None


# --------------------------------------------------------------------------- pure parts


def key_line(text: str, table: str, key: str | None = None) -> int:
    """The 1-based line of ``[table]`` (or of ``key`` inside it) in a TOML text; 0 if not found.

    tomllib reports no positions for valid-but-wrong values, so errors find their line here.
    """
    lines = text.splitlines()
    header = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(map(re.escape, table.split("."))) + r"\s*\]")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        return 0
    if key is None:
        return start + 1
    assign = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
    for i in range(start + 1, len(lines)):
        if lines[i].lstrip().startswith("["):
            break
        if assign.match(lines[i]):
            return i + 1
    return start + 1


def is_url(value: str) -> bool:
    """An http(s) URL with a host and a valid port, or a file URL."""
    parts = urlsplit(value)
    if parts.scheme == "file":
        return True
    if parts.scheme not in ("http", "https"):
        return False
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return False
    return bool(parts.hostname)


def _looks_like_url(value: str) -> bool:
    """Meant as a URL (even a broken one), rather than a folder."""
    return urlsplit(value).scheme in ("http", "https", "file")


def _problem(table: Mapping[str, Any], key: str) -> str | None:
    """The catalogue key describing what is wrong with ``table[key]``, or None."""
    value = table[key]
    if key == "torch_origin":
        ok = isinstance(value, list) and all(isinstance(v, str) and v for v in value)
        return None if ok else "install.problem_host_list"
    if not isinstance(value, str) or not value:
        return "install.problem_string"
    if key == "torch_layout":
        return None if value in TORCH_LAYOUTS else "install.problem_layout"
    if key == "pypi" and value == PIP_CONFIG:
        return None
    if key in ("pypi", "torch", "huggingface", "civitai") and not is_url(value):
        return "install.problem_url"
    if key == "torch" and "{variant}" not in value:
        return "install.problem_variant"
    return None


def config_error(file: str, line: int, where: str | None, problem: str) -> MirrorConfigError:
    """A mirrors.toml error naming what is known: the line (0: none) and the key (None: none)."""
    params: dict[str, Any] = {"file": file, "problem": problem}
    if line > 0:
        params["line"] = line
    if where:
        params["where"] = where
    key = "install.mirrors_invalid" + ("" if line > 0 else "_noline") + ("" if where else "_nokey")
    hint = "install.hint_mirrors_file" if line > 0 else "install.hint_mirrors_file_noline"
    return MirrorConfigError(key, hint=hint, **params)


def validate_tables(data: Mapping[str, Any], text: str, file: str) -> dict[str, dict[str, Any]]:
    """The ``[mirrors.*]`` tables of one parsed file, checked; raises naming file, line and key."""

    def fail(problem: str, table: str, key: str | None = None, **params: Any) -> MirrorConfigError:
        return config_error(file, key_line(text, table, key), f"{table}.{key}" if key else table,
                            t(problem, **params))

    extra = set(data) - {"mirrors"}
    if extra:
        raise fail("install.problem_top_level", sorted(extra)[0])
    tables = data.get("mirrors", {})
    if not isinstance(tables, dict):
        raise fail("install.problem_table", "mirrors")
    for name, table in tables.items():
        where = f"mirrors.{name}"
        if not _NAME.match(name) or name == AUTO:
            raise fail("install.problem_name", where)
        if not isinstance(table, dict):
            raise fail("install.problem_table", where)
        for key in table:
            if key not in _KEYS:
                raise fail("install.problem_unknown_key", where, key, known=", ".join(sorted(_KEYS)))
            problem = _problem(table, key)
            if problem:
                raise fail(problem, where, key)
    return tables


def build_mirrors(tables: Sequence[Mapping[str, Mapping[str, Any]]], file: str) -> dict[str, Mirror]:
    """Merge validated tables (later files override keys of earlier ones) into mirrors.

    A mirror without ``pypi`` takes its packages from the ``default`` mirror; one without
    ``torch`` takes torch from the official PyTorch index (the ``default`` mirror itself looks
    torch up among its packages).
    """
    merged: dict[str, dict[str, Any]] = {}
    for layer in tables:
        for name, table in layer.items():
            merged.setdefault(name, {}).update(table)
    mirrors = {}
    for name, table in merged.items():
        for required in ("name_en", "name_zh"):
            if required not in table:
                # merged from several files: no single line to point at
                raise config_error(file, 0, f"mirrors.{name}.{required}", t("install.problem_missing"))
        pypi = table.get("pypi", PIP_CONFIG)
        mirrors[name] = Mirror(
            name=name, name_en=table["name_en"], name_zh=table["name_zh"],
            pypi=() if pypi == PIP_CONFIG else (pypi,), from_pip_config=pypi == PIP_CONFIG,
            torch=table.get("torch"),
            torch_layout=table.get("torch_layout", "index") if table.get("torch") else PACKAGES,
            torch_origin=tuple(table.get("torch_origin", ())),
            huggingface=table.get("huggingface"), civitai=table.get("civitai"),
        )
    official = mirrors.get(OFFICIAL_TORCH)
    return {
        name: _with_official_torch(mirror, official) if name != DEFAULT else mirror
        for name, mirror in mirrors.items()
    }


def _with_official_torch(mirror: Mirror, official: Mirror | None) -> Mirror:
    if mirror.torch or official is None or not official.torch:
        return mirror
    return replace(mirror, torch=official.torch, torch_layout=official.torch_layout,
                   torch_origin=official.torch_origin)


def adhoc_mirror(spec: str) -> Mirror:
    """A mirror made of one URL or folder: a PEP 503 index or a wheelhouse for everything."""
    if _looks_like_url(spec) and not is_url(spec):
        raise MirrorError("install.bad_mirror_url", hint="install.hint_mirror_url", value=spec)
    location = spec if is_url(spec) else Path(spec).expanduser().absolute().as_uri()
    return Mirror(name=spec, name_en=spec, name_zh=spec, pypi=(location,))


def looks_adhoc(spec: str) -> bool:
    """A --mirror value that is a location rather than a name."""
    return _looks_like_url(spec) or "/" in spec or "\\" in spec or spec.startswith(".")


def compose(packages: Mirror, torch: Mirror, models: Mirror) -> Mirror:
    """The ``auto`` mirror: each role from the mirror that was best for it.

    A torch mirror without a torch base of its own (``default``) means torch is looked up among
    the packages' sources.
    """
    return replace(
        packages, name=AUTO,
        name_en=f"auto: packages {packages.name}, torch {torch.name}, models {models.name}",
        name_zh=f"自动：软件包 {packages.name}，torch {torch.name}，模型 {models.name}",
        torch=torch.torch, torch_layout=torch.torch_layout, torch_origin=torch.torch_origin,
        huggingface=models.huggingface, civitai=models.civitai,
    )


def select(spec: str, mirrors: Mapping[str, Mirror], remembered: Mapping[str, str] | None
           ) -> tuple[Mirror, ...]:
    """The mirrors a ``--mirror`` value names, in failover order."""
    chain = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if part == AUTO:
            if not remembered:
                raise MirrorError("install.auto_not_probed", hint="install.hint_probe")
            roles = [mirrors.get(remembered.get(role, DEFAULT)) for role in ("packages", "torch", "models")]
            if any(m is None for m in roles):
                raise MirrorError("install.auto_not_probed", hint="install.hint_probe")
            chain.append(compose(*roles))  # type: ignore[arg-type]
        elif part in mirrors:
            chain.append(mirrors[part])
        elif looks_adhoc(part):
            chain.append(adhoc_mirror(part))
        else:
            raise MirrorError("install.unknown_mirror", hint="install.hint_list_mirrors",
                              name=part, known=", ".join(sorted(mirrors)))
    if not chain:
        raise MirrorError("install.unknown_mirror", hint="install.hint_list_mirrors",
                          name=spec, known=", ".join(sorted(mirrors)))
    return tuple(chain)


# --------------------------------------------------------------------------- side effects

def bundled_mirrors_file() -> Path:
    return Path(str(resources.files("sdsetup") / "data" / "mirrors.toml"))


def user_mirrors_file(home: Home, environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env["SDSETUP_MIRRORS"]).expanduser() if env.get("SDSETUP_MIRRORS") else home.mirrors_file


def read_tables(path: Path) -> dict[str, dict[str, Any]]:
    """The validated mirror tables of one file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise MirrorConfigError("install.mirrors_unreadable", hint="install.hint_mirrors_path",
                                file=str(path), detail=err.strerror or str(err)) from err
    except UnicodeDecodeError as err:  # a binary file, or one saved in a legacy code page
        raise MirrorConfigError("install.mirrors_unreadable", hint="install.hint_mirrors_path",
                                file=str(path), detail=f"not UTF-8 text (byte {err.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        found = re.search(r"line (\d+)", str(err))
        raise config_error(str(path), int(found.group(1)) if found else 0, None, str(err)) from err
    return validate_tables(data, text, str(path))


def load_mirrors(home: Home, environ: Mapping[str, str] | None = None) -> dict[str, Mirror]:
    """Every known mirror by name: the bundled file, then the user's on top."""
    layers = [read_tables(bundled_mirrors_file())]
    user = user_mirrors_file(home, environ)
    if user.is_file() or (environ or os.environ).get("SDSETUP_MIRRORS"):
        layers.append(read_tables(user))
    return build_mirrors(layers, str(user))
