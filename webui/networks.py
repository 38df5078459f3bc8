"""The extra-networks browser's cards: checkpoints, LoRAs and embeddings with the sidecars
``sdsetup models get`` writes beside them (``<stem>.preview.png``, ``<stem>.civitai.json``).

A card's preview is read only when it lies inside the model's own folder once links are resolved,
so no file name (or link) in a models folder can make the page serve a file from elsewhere.
The sidecar JSON is read with a size cap and any shape it may have; what is not where Civitai puts
it (``baseModel``, ``trainedWords``) is simply absent from the card.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from webui.catalog import files_under

PREVIEW, CIVITAI = ".preview.png", ".civitai.json"
MAX_SIDECAR_BYTES = 2 * 1024 * 1024
KINDS = ("checkpoint", "lora", "embedding")
LORA_WEIGHT = 1.0  # A1111's extra_networks_default_multiplier


@dataclass(frozen=True)
class Card:
    kind: str
    name: str                          # what the prompt uses: the file stem
    path: Path
    preview: Path | None = None
    base_model: str = ""
    trigger_words: tuple[str, ...] = ()

    @property
    def caption(self) -> str:
        extra = " · ".join(part for part in (self.base_model, ", ".join(self.trigger_words)) if part)
        return f"{self.name} ({extra})" if extra else self.name


def inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def sidecar_info(raw: bytes) -> tuple[str, tuple[str, ...]]:
    """``(base model, trigger words)`` from a ``.civitai.json``; empty for anything unexpected."""
    try:
        data = json.loads(raw)
    except ValueError:
        return "", ()
    if not isinstance(data, dict):
        return "", ()
    base = data.get("baseModel")
    words = data.get("trainedWords")
    words = tuple(w.strip() for w in words if isinstance(w, str) and w.strip()) \
        if isinstance(words, list) else ()
    return (base if isinstance(base, str) else ""), words


def _read_capped(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_SIDECAR_BYTES:
            return b""
        return path.read_bytes()
    except OSError:
        return b""


def card(kind: str, path: Path, folder: Path) -> Card:
    preview = path.with_name(path.stem + PREVIEW)
    info = path.with_name(path.stem + CIVITAI)
    base, words = sidecar_info(_read_capped(info)) if inside(info, folder) else ("", ())
    return Card(kind, path.stem, path,
                preview if preview.is_file() and inside(preview, folder) else None, base, words)


def cards(kind: str, files: Iterable[Path], folder: Path) -> list[Card]:
    return [card(kind, path, folder) for path in files if inside(path, folder)]


def scan(kind: str, folder: Path, suffixes: tuple[str, ...]) -> list[Card]:
    return cards(kind, files_under(folder, suffixes), folder)


def matching(found: Sequence[Card], query: str) -> list[Card]:
    """Cards whose name, base model or trigger words contain every word of ``query``."""
    words = query.lower().split()
    return [c for c in found
            if all(w in " ".join((c.name, c.base_model, *c.trigger_words)).lower() for w in words)]


def prompt_text(found: Card) -> str:
    """What clicking a card adds to the prompt (checkpoints add nothing: they are selected)."""
    if found.kind == "lora":
        return f"<lora:{found.name}:{LORA_WEIGHT:g}>"
    return found.name if found.kind == "embedding" else ""


def add_to_prompt(prompt: str, text: str) -> str:
    """``text`` appended after a comma, as A1111's card click does; never twice in a row."""
    stripped = prompt.rstrip()
    if not text or stripped.endswith(text):
        return prompt
    return f"{stripped}, {text}" if stripped else text
