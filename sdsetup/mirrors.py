"""Which mirrors exist, what each serves, and which one this run uses.

The bundled ``sdsetup/data/mirrors.toml`` (``mirrors.toml`` at the top of the repository links to
it; the real file lives in the package so that checkouts without symlinks still ship it) is read
first; the user's file (``SDSETUP_MIRRORS`` or ``<home>/mirrors.toml``) overrides keys of a
mirror it names and adds new ones. ``--mirror`` takes a name, ``auto`` (the per-role choice of the
last probe, see :mod:`sdsetup.mirror_probe`), an ad hoc URL or folder (a PEP 503 index or a
wheelhouse used for every package, torch included), or several of those separated by commas, in
failover order.

Exceptions::

    SdsetupError
    └── MirrorError              an unknown mirror name, an unusable --mirror value
        └── MirrorConfigError    a mirrors.toml that is not valid; names the file, line and key
"""

from __future__ import annotations

import json
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
from sdsetup.facts.bounded import run_bounded
from sdsetup.home import Home
from sdsetup.i18n import t
from sdsetup.jsonstate import read_json, write_json

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
CHOICE_FILE = "mirror-choice.json"
MISSES_FILE = "mirror-misses.json"

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


def _is_url(value: str) -> bool:
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
    if key in ("pypi", "torch", "huggingface", "civitai") and not _is_url(value):
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
    if _looks_like_url(spec) and not _is_url(spec):
        raise MirrorError("install.bad_mirror_url", hint="install.hint_mirror_url", value=spec)
    location = spec if _is_url(spec) else Path(spec).expanduser().absolute().as_uri()
    return Mirror(name=spec, name_en=spec, name_zh=spec, pypi=(location,))


def looks_adhoc(spec: str) -> bool:
    """A --mirror value that is a location rather than a name."""
    return _looks_like_url(spec) or "/" in spec or "\\" in spec or spec.startswith(".")


def compose(packages: Mirror, torch: Mirror, models: Mirror) -> Mirror:
    """The ``auto`` mirror: each role from the mirror that was best for it."""
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


PIP_SECTIONS = (":env:", "install", "global")
"""The ``pip config list`` sections sdsetup honours, most binding first, as ``pip install`` does.

pip merges its files before printing (``PIP_*`` variables beat ``PIP_CONFIG_FILE``, which beats the
site file, then the user file, then the global one), so each ``section.option`` key appears once;
what is left is the section: ``:env:`` (``PIP_*`` variables) over the command's own section
(``install``: sdsetup fetches what ``pip install`` would) over ``[global]``. Other sections
(``download``, ``list``…) do not apply to an install and are ignored, as pip ignores them.
"""
_TRUE = ("1", "true", "yes", "on", "y", "t")


def sources_from_pip_config(items: Mapping[str, str], default_index: str) -> PackageSources:
    """Index URLs and find-links locations, as ``pip install`` would use them, from pip's config.

    ``items`` are ``pip config list``'s keys and values (``install.index-url``,
    ``:env:.find-links``…); see :data:`PIP_SECTIONS` for which one wins. Empty values are
    ignored, as pip ignores them. ``no-index`` drops the indexes but keeps find-links. This is the
    one reading of pip's configuration: the ``default`` mirror uses it, and so does ``doctor``.
    """

    def value(option: str) -> str | None:
        for section in PIP_SECTIONS:
            found = items.get(f"{section}.{option}")
            if isinstance(found, str) and found.strip():
                return found.strip()
        return None

    def many(option: str) -> list[str]:
        return (value(option) or "").split()

    no_index = (value("no-index") or "").lower() in _TRUE
    indexes = [] if no_index else [value("index-url") or default_index, *many("extra-index-url")]
    links = [link if _is_url(link) else Path(link).absolute().as_uri() for link in many("find-links")]
    return PackageSources(tuple(dict.fromkeys(indexes)), tuple(dict.fromkeys(links)))


def parse_pip_config_list(output: str) -> dict[str, str]:
    """``pip config list`` prints ``section.option='value'`` lines; other lines are skipped."""
    items = {}
    for line in output.splitlines():
        key, sep, raw = line.partition("=")
        section, dot, option = key.strip().rpartition(".")
        if sep and dot and section and option:
            items[key.strip()] = raw.strip().strip("'\"")
    return items


def read_pip_answer(output: str) -> tuple[dict[str, str], str]:
    """(config items, pip's default index) from what :data:`_PIP_QUERY` printed; ValueError if absent.

    pip may print warnings around it (stderr is merged), so the answer is the marked line.
    """
    line = next((l for l in reversed(output.splitlines()) if l.startswith(_PIP_MARK)), None)
    if line is None:
        raise ValueError(output.strip()[-300:] or "no answer")
    answer = json.loads(line[len(_PIP_MARK):])
    if not isinstance(answer, dict) or not isinstance(answer.get("default_index"), str):
        raise ValueError("unexpected answer")
    items = answer.get("items")
    if not isinstance(items, dict):
        items = parse_pip_config_list(str(answer.get("config") or ""))
    return {str(k): str(v) for k, v in items.items()}, answer["default_index"]


# --------------------------------------------------------------------------- side effects

_PIP_MARK = "sdsetup-pip-config "
_PIP_QUERY = (
    # pip's own merged configuration, as `pip config list` prints it; that command as a fallback.
    "import json, subprocess, sys\n"
    "from pip._internal.models.index import PyPI\n"
    "items, out = None, ''\n"
    "try:\n"
    "    from pip._internal.configuration import Configuration\n"
    "    c = Configuration(isolated=False)\n"
    "    c.load()\n"
    "    items = {k: str(v) for k, v in c.items()}\n"
    "except Exception:\n"
    "    out = subprocess.run([sys.executable, '-m', 'pip', 'config', 'list'],"
    " capture_output=True, text=True).stdout\n"
    f"print({_PIP_MARK!r} + json.dumps({{'default_index': PyPI.simple_url, 'items': items,"
    " 'config': out}))\n"
)
PIP_TIMEOUT = 60.0


def pip_package_sources(python: str | None = None, environ: Mapping[str, str] | None = None,
                        timeout: float = PIP_TIMEOUT) -> PackageSources:
    """What pip is configured with on this machine, asked of pip itself (never written down).

    The child (and anything it starts) is killed if it overruns ``timeout``.
    """
    exe = python or sys.executable
    try:
        done = run_bounded([exe, "-c", _PIP_QUERY], timeout,
                           env=dict(os.environ if environ is None else environ))
    except OSError as err:
        raise MirrorError("install.pip_config_unreadable", hint="install.hint_pip_config",
                          detail=f"{exe}: {err.strerror or err}") from err
    if done.timed_out:
        raise MirrorError("install.pip_config_unreadable", hint="install.hint_pip_config",
                          detail=t("install.pip_config_timeout", seconds=round(timeout)))
    try:
        items, default_index = read_pip_answer(done.stdout)
    except ValueError as err:
        raise MirrorError("install.pip_config_unreadable", hint="install.hint_pip_config",
                          detail=str(err)) from err
    return sources_from_pip_config(items, default_index)


def package_sources(mirror: Mirror) -> PackageSources:
    return pip_package_sources() if mirror.from_pip_config else PackageSources(mirror.pypi)


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


def remembered_choice(home: Home) -> dict[str, str] | None:
    """The per-role mirror names the last ``auto`` probe chose, if any."""
    data = read_json(home.root / CHOICE_FILE)
    if not isinstance(data, dict):
        return None
    choice = {role: data[role] for role in ("packages", "torch", "models")
              if isinstance(data.get(role), str) and data[role]}
    return choice or None


def remember_choice(home: Home, choice: Mapping[str, str]) -> None:
    write_json(home.root / CHOICE_FILE, dict(choice))


def requested_spec(requested: str | None, home: Home, environ: Mapping[str, str] | None = None) -> str:
    """The --mirror value, else SDSETUP_MIRROR, else the remembered auto choice, else default."""
    env = os.environ if environ is None else environ
    if requested:
        return requested
    if env.get("SDSETUP_MIRROR"):
        return env["SDSETUP_MIRROR"]
    return AUTO if remembered_choice(home) else DEFAULT


def mirror_chain(home: Home, requested: str | None, probe_timeout: float = 8.0) -> tuple[Mirror, ...]:
    """The mirrors to use, in failover order (``auto`` probes first when nothing is remembered)."""
    spec = requested_spec(requested, home)
    mirrors = load_mirrors(home)
    remembered = remembered_choice(home)
    if AUTO in spec.split(",") and not remembered:
        from sdsetup.mirror_probe import probe_and_remember  # it builds on this module

        remembered, _ = probe_and_remember(home, list(mirrors.values()), timeout=probe_timeout)
    return select(spec, mirrors, remembered)


def chosen_mirror(home: Home, requested: str | None) -> Mirror:
    """The first mirror of the chain: what the models downloader takes its endpoints from."""
    return mirror_chain(home, requested)[0]


def read_misses(home: Home) -> dict[str, dict[str, Any]]:
    """The recorded lazy-cache misses, by mirror; entries of the wrong shape (a hand-edited
    file) are dropped rather than trusted."""
    data = read_json(home.root / MISSES_FILE)
    if not isinstance(data, dict):
        return {}
    misses = {}
    for name, entry in data.items():
        if (isinstance(entry, dict) and isinstance(entry.get("host"), str)
                and isinstance(entry.get("count"), int) and not isinstance(entry["count"], bool)
                and entry["count"] >= 0):
            misses[str(name)] = {"count": entry["count"], "host": entry["host"]}
    return misses


def record_miss(home: Home, mirror: str, host: str) -> None:
    """Remember that a lazy cache bounced a download to its origin (``doctor`` reports it)."""
    misses = read_misses(home)
    count = misses.get(mirror, {}).get("count", 0)
    misses[mirror] = {"count": count + 1, "host": host}
    write_json(home.root / MISSES_FILE, misses)


@dataclass(frozen=True)
class MirrorCheck:
    """One finding for ``doctor``: a catalogue key with parameters, and a hint key when not ok."""

    id: str
    ok: bool
    key: str
    params: Mapping[str, Any]
    hint: str | None = None


def mirror_checks(home: Home, environ: Mapping[str, str] | None = None) -> list[MirrorCheck]:
    """What ``doctor`` should say about mirrors: the config file, the choice, lazy-cache misses."""
    try:
        mirrors = load_mirrors(home, environ)
    except MirrorConfigError as err:
        return [MirrorCheck("mirrors.config", False, err.key, err.params, err.hint)]
    own = user_mirrors_file(home, environ)
    checks = [MirrorCheck("mirrors.config", True,
                          "install.check_config_ok" if own.is_file() else "install.check_config_bundled",
                          {"count": len(mirrors), "file": str(own)})]
    choice = remembered_choice(home)
    if choice:
        checks.append(MirrorCheck("mirrors.auto", True, "install.remembered", choice))
    for name, miss in sorted(read_misses(home).items()):
        checks.append(MirrorCheck(f"mirrors.miss.{name}", False, "install.check_lazy_miss",
                                  {"mirror": name, "count": miss["count"], "host": miss["host"]},
                                  "install.hint_probe"))
    return checks
