"""A1111's prompt styles: ``styles.csv`` (name, prompt, negative_prompt) and how a request applies them.

A style's text is merged into the prompt: where it holds ``{prompt}`` the prompt takes that place,
otherwise the style is appended after a comma (A1111's ``merge_prompts``). Styles apply in the
order the request names them; a name that is not known merges an empty style, as in A1111.

The files are user text: parsed with the csv module's single-pass state machine (linear in the
file), capped in size, a row without a name is skipped and a missing column reads as empty.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

FIELDS = ("name", "prompt", "negative_prompt")
MAX_BYTES = 4 * 1024 * 1024  # A1111 users keep a few hundred styles; far more is not a style file
PLACEHOLDER = "{prompt}"


@dataclass(frozen=True)
class Style:
    name: str
    prompt: str = ""
    negative_prompt: str = ""

    def api(self) -> dict:
        return {"name": self.name, "prompt": self.prompt, "negative_prompt": self.negative_prompt}


def parse_styles(text: str) -> dict[str, Style]:
    """The styles of one CSV text, by name; a later row of the same name wins."""
    csv.field_size_limit(MAX_BYTES)
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), skipinitialspace=True)
    header = [cell.strip().lower() for cell in next(rows, [])]
    # A1111's oldest files call the prompt column "text".
    columns = {field: header.index(field) for field in ("name", "prompt", "text", "negative_prompt")
               if field in header}
    columns.setdefault("prompt", columns.get("text", -1))
    if "name" not in columns:
        return {}

    def cell(row: list[str], field: str) -> str:
        index = columns.get(field, -1)
        return row[index] if 0 <= index < len(row) else ""

    styles: dict[str, Style] = {}
    for row in rows:
        name = cell(row, "name").strip()
        if name:
            styles[name] = Style(name, cell(row, "prompt"), cell(row, "negative_prompt"))
    return styles


def merge_prompt(style_text: str, prompt: str) -> str:
    if PLACEHOLDER in style_text:
        return style_text.replace(PLACEHOLDER, prompt)
    return ", ".join(part for part in (prompt.strip(), style_text.strip()) if part)


def apply_styles(prompt: str, negative: str, names: Sequence[str],
                 styles: Mapping[str, Style]) -> tuple[str, str]:
    """The prompt and negative prompt with the named styles merged in, in order."""
    for name in names:
        style = styles.get(name, Style(name))
        prompt = merge_prompt(style.prompt, prompt)
        negative = merge_prompt(style.negative_prompt, negative)
    return prompt, negative


def format_styles(styles: Iterable[Style]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for style in styles:
        writer.writerow((style.name, style.prompt, style.negative_prompt))
    return out.getvalue()


class StyleBook:
    """The styles of the files given, later files overriding earlier; saves go to ``own``.

    ``own`` is sdsetup's file in its home; ``others`` are read only (an A1111 install's, which
    sdsetup never writes to). Files are re-read when changed, so edits show without a restart.
    """

    def __init__(self, own: Path | None, others: Sequence[Path] = ()) -> None:
        self.own = own
        self.files = [*others, *([own] if own else [])]
        self._stamps: tuple = ()
        self._styles: dict[str, Style] = {}

    def _stamp(self, path: Path):
        try:
            stat = path.stat()
        except OSError:
            return None
        return stat.st_size, stat.st_mtime_ns

    def styles(self) -> dict[str, Style]:
        stamps = tuple(self._stamp(p) for p in self.files)
        if stamps != self._stamps:
            merged: dict[str, Style] = {}
            for path, stamp in zip(self.files, stamps):
                if stamp is not None and stamp[0] <= MAX_BYTES:
                    merged.update(parse_styles(_read(path)))
            self._styles, self._stamps = merged, stamps
        return self._styles

    def save(self, style: Style) -> None:
        """Add or replace ``style`` in ``own`` (written whole through a temporary file)."""
        if self.own is None:
            raise OSError("no styles file to write to")
        current = parse_styles(_read(self.own)) if self._stamp(self.own) else {}
        current[style.name] = style
        self.own.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.own.with_name(f".{self.own.name}.{os.getpid()}.tmp")
        temporary.write_text(format_styles(current.values()), encoding="utf-8", newline="")
        os.replace(temporary, self.own)


def _read(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return ""
