"""The CLIP tokenizers, built offline from the bundled BPE table (see data/clip/SOURCES.txt).

SD1.x uses OpenAI's CLIP ViT-L/14 tokenizer; SDXL adds OpenCLIP bigG, which has the same BPE table
and vocabulary but pads with ``!`` (id 0) instead of ``<|endoftext|>``. Building them here, rather
than fetching ``openai/clip-vit-large-patch14`` from the Hub, is what lets a checkpoint load with no
network at all.
"""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

# The slice of the BPE file OpenAI's SimpleTokenizer uses: 49152 − 256 − 2 merges after the header.
_MERGE_COUNT = 49152 - 256 - 2
BOS, EOS = "<|startoftext|>", "<|endoftext|>"
MAX_LENGTH = 77


def _bytes_to_unicode() -> list[str]:
    """CLIP's printable stand-ins for the 256 byte values, in vocabulary order."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
                 + list(range(ord("®"), ord("ÿ") + 1)))
    codes = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codes.append(256 + extra)
            extra += 1
    return [chr(c) for c in codes]


@functools.cache
def vocab_and_merges() -> tuple[dict[str, int], list[tuple[str, str]]]:
    raw = (Path(__file__).parent / "data" / "clip" / "bpe_simple_vocab_16e6.txt.gz").read_bytes()
    lines = gzip.decompress(raw).decode("utf-8").split("\n")[1:_MERGE_COUNT + 1]
    merges = [tuple(line.split()) for line in lines]
    byte_chars = _bytes_to_unicode()
    tokens = byte_chars + [c + "</w>" for c in byte_chars] + ["".join(m) for m in merges] + [BOS, EOS]
    return {tok: i for i, tok in enumerate(tokens)}, merges  # type: ignore[return-value]


def clip_tokenizer(pad_token: str = EOS):
    """A CLIPTokenizer for SD's text encoders; ``pad_token="!"`` gives SDXL's second tokenizer."""
    from transformers import CLIPTokenizer

    vocab, merges = vocab_and_merges()
    return CLIPTokenizer(vocab=dict(vocab), merges=list(merges), bos_token=BOS, eos_token=EOS,
                         unk_token=EOS, pad_token=pad_token, model_max_length=MAX_LENGTH)
