"""Prompt → text-encoder embeddings the A1111 way: 75-token chunks, weights, mean restored.

diffusers truncates at 77 tokens and ignores ``(word:1.2)``; A1111 splits the token stream into
chunks of 75 (plus BOS/EOS), encodes each, multiplies every token's vector by its weight and
rescales so the mean matches the unweighted one (``EmphasisOriginal``). Positive and negative
prompts are padded to the same chunk count so classifier-free guidance can batch them.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from webui.prompts import BREAK, parse_attention

CHUNK = 75


@dataclass(frozen=True)
class Encoded:
    embeds: torch.Tensor                 # [1, 77·chunks, width]
    pooled: torch.Tensor | None = None   # SDXL's pooled text embedding


def _weighted_tokens(pipe, tokenizer, text: str) -> list[list[tuple[int, float]]]:
    """Token ids with weights, split into chunks of at most 75 (``BREAK`` starts a new one)."""
    chunks: list[list[tuple[int, float]]] = [[]]
    for fragment, weight in parse_attention(text):
        if weight == -1 and fragment == BREAK:
            chunks.append([])
            continue
        converted = pipe.maybe_convert_prompt(fragment, tokenizer) if hasattr(
            pipe, "maybe_convert_prompt") else fragment
        ids = tokenizer(converted, add_special_tokens=False, truncation=False).input_ids
        for token in ids:
            if len(chunks[-1]) == CHUNK:
                chunks.append([])
            chunks[-1].append((token, weight))
    return [c for c in chunks if c] or [[]]


def _chunk_tensors(tokenizer, chunk: list[tuple[int, float]]) -> tuple[list[int], list[float]]:
    pad = tokenizer.pad_token_id
    ids = [tokenizer.bos_token_id] + [t for t, _ in chunk] + [tokenizer.eos_token_id]
    weights = [1.0] + [w for _, w in chunk] + [1.0]
    ids += [pad] * (CHUNK + 2 - len(ids))
    weights += [1.0] * (CHUNK + 2 - len(weights))
    return ids, weights


def _encode_chunk(encoder, ids: list[int], clip_skip: int, penultimate: bool, device):
    tokens = torch.tensor([ids], device=device)
    out = encoder(tokens, output_hidden_states=True)
    if penultimate:  # SDXL takes the penultimate layer of both encoders, unnormalised
        hidden = out.hidden_states[-(clip_skip + 1)]
    elif clip_skip > 1:
        final_norm = encoder.final_layer_norm if hasattr(encoder, "final_layer_norm") \
            else encoder.text_model.final_layer_norm
        hidden = final_norm(out.hidden_states[-clip_skip])
    else:
        hidden = out[0]
    pooled = out.text_embeds if hasattr(out, "text_embeds") else None
    return hidden, pooled


def _weighted(hidden: torch.Tensor, weights: list[float]) -> torch.Tensor:
    scale = torch.tensor(weights, device=hidden.device, dtype=hidden.dtype)[None, :, None]
    original_mean = hidden.float().mean()
    weighted = hidden * scale
    return weighted * (original_mean / weighted.float().mean()).to(hidden.dtype)


def _encode(pipe, pairs, chunks: list[list[tuple[int, float]]], clip_skip: int) -> Encoded:
    penultimate = len(pairs) == 2
    device = pipe._execution_device
    pieces, pooled = [], None
    for chunk in chunks:
        per_encoder = []
        for tokenizer, encoder in pairs:
            ids, weights = _chunk_tensors(tokenizer, chunk)
            hidden, pool = _encode_chunk(encoder, ids, clip_skip, penultimate, device)
            per_encoder.append(_weighted(hidden, weights))
            if pool is not None and pooled is None:
                pooled = pool
        pieces.append(torch.cat(per_encoder, dim=-1))
    return Encoded(torch.cat(pieces, dim=1), pooled)


@torch.no_grad()
def encode_pair(pipe, prompt: str, negative: str, clip_skip: int) -> tuple[Encoded, Encoded]:
    """Embeddings for the prompt and the negative prompt, with equal chunk counts."""
    pairs = [(pipe.tokenizer, pipe.text_encoder)]
    if getattr(pipe, "text_encoder_2", None) is not None:
        pairs.append((pipe.tokenizer_2, pipe.text_encoder_2))
    positive = _weighted_tokens(pipe, pipe.tokenizer, prompt)
    negative_chunks = _weighted_tokens(pipe, pipe.tokenizer, negative)
    count = max(len(positive), len(negative_chunks))
    positive += [[]] * (count - len(positive))
    negative_chunks += [[]] * (count - len(negative_chunks))
    return _encode(pipe, pairs, positive, clip_skip), _encode(pipe, pairs, negative_chunks, clip_skip)
