"""Share the wheel cache: write it as a static PEP 503 tree any web server or USB disk can carry.

``DIR/index.html`` lists projects, ``DIR/<project>/index.html`` lists that project's wheels with
``#sha256=`` fragments, and the wheels sit beside their page. ``python -m http.server -d DIR``,
nginx, devpi or pypiserver can serve it; ``sdsetup install --mirror http://host:8000/`` or
``--mirror DIR`` installs from it, and pip takes it as ``--index-url``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from packaging.utils import canonicalize_name

from sdsetup.download.cache import place
from sdsetup.download.hashing import sha256_file
from sdsetup.install.index_pages import wheel_of


@dataclass(frozen=True)
class Exported:
    projects: int
    files: int
    size: int


def project_page(project: str, files: Iterable[tuple[str, str]]) -> str:
    """A PEP 503 project page for (filename, sha256) pairs."""
    links = "\n".join(f'<a href="{quote(name)}#sha256={sha}">{html.escape(name)}</a><br>'
                      for name, sha in sorted(files))
    return (f"<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\">"
            f"<title>Links for {html.escape(project)}</title></head>\n<body>\n"
            f"<h1>Links for {html.escape(project)}</h1>\n{links}\n</body></html>\n")


def root_page(projects: Iterable[str]) -> str:
    links = "\n".join(f'<a href="{quote(p)}/">{html.escape(p)}</a><br>' for p in sorted(projects))
    return ("<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\">"
            f"<title>Simple index</title></head>\n<body>\n{links}\n</body></html>\n")


def group_wheels(names: Iterable[str]) -> dict[str, list[str]]:
    """Wheel file names by canonical project; anything that is not a wheel is left out."""
    groups: dict[str, list[str]] = {}
    for name in names:
        wheel = wheel_of(name)
        if wheel:
            groups.setdefault(str(canonicalize_name(wheel.project)), []).append(name)
    return groups


def export(wheels: Path, dest: Path) -> Exported:
    """Write every wheel of ``wheels`` into a PEP 503 tree at ``dest`` (links where possible)."""
    groups = group_wheels(p.name for p in wheels.glob("*.whl") if p.is_file())
    size = 0
    for project, names in groups.items():
        folder = dest / project
        folder.mkdir(parents=True, exist_ok=True)
        hashed = []
        for name in names:
            src = wheels / name
            place(src, folder / name)
            hashed.append((name, sha256_file(src)))
            size += src.stat().st_size
        (folder / "index.html").write_text(project_page(project, hashed), encoding="utf-8")
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "index.html").write_text(root_page(groups), encoding="utf-8")
    return Exported(len(groups), sum(len(n) for n in groups.values()), size)
