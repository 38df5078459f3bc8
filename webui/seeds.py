"""Initial noise as A1111 1.10's ``rng.ImageRNG`` draws it: seeds, variation seeds, seed resize, ENSD.

Each image has its own generator seeded with its seed (A1111's "GPU" RNG). With a variation
strength the seed's noise is slerped towards the variation seed's; with ``seed_resize_from`` the
noise is drawn at the old size and pasted, centred, into noise of the new size, so an image keeps
its composition when the size changes. After the first noise, ancestral samplers keep drawing
from the same generators, or from ``seed + ENSD`` ones when ``eta_noise_seed_delta`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class NoiseSpec:
    seeds: tuple[int, ...]
    subseeds: tuple[int, ...] = ()
    subseed_strength: float = 0.0
    resize_from: tuple[int, int] = (0, 0)   # (width, height) in pixels; 0 or less: off


def slerp(val: float, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """A1111's slerp over dimension 1, falling back to its (reversed) lerp when nearly parallel."""
    low_norm = low / torch.norm(low, dim=1, keepdim=True)
    high_norm = high / torch.norm(high, dim=1, keepdim=True)
    dot = (low_norm * high_norm).sum(1)
    if dot.mean() > 0.9995:
        return low * val + high * (1 - val)
    omega = torch.acos(dot)
    so = torch.sin(omega)
    return ((torch.sin((1.0 - val) * omega) / so).unsqueeze(1) * low
            + (torch.sin(val * omega) / so).unsqueeze(1) * high)


def _randn(seed: int, shape: tuple[int, ...], device: str, generator=None) -> torch.Tensor:
    generator = generator or torch.Generator(device).manual_seed(int(seed))
    return torch.randn(shape, generator=generator, device=device)


def _paste_centred(noise: torch.Tensor, into: torch.Tensor) -> torch.Tensor:
    """``noise`` (old size) centred on ``into`` (new size), cropped where it is larger."""
    dx = (into.shape[2] - noise.shape[2]) // 2
    dy = (into.shape[1] - noise.shape[1]) // 2
    w = noise.shape[2] if dx >= 0 else noise.shape[2] + 2 * dx
    h = noise.shape[1] if dy >= 0 else noise.shape[1] + 2 * dy
    tx, ty = max(dx, 0), max(dy, 0)
    sx, sy = max(-dx, 0), max(-dy, 0)
    into = into.clone()
    into[:, ty:ty + h, tx:tx + w] = noise[:, sy:sy + h, sx:sx + w]
    return into


def initial_noise(spec: NoiseSpec, shape: tuple[int, int, int], device: str,
                  factor: int = 8) -> tuple[torch.Tensor, list[torch.Generator]]:
    """The batch's first noise (``len(seeds)`` × ``shape``) and the generators to continue with."""
    width, height = spec.resize_from
    resized = width > 0 and height > 0
    old_shape = (shape[0], height // factor, width // factor) if resized else shape
    generators = [torch.Generator(device).manual_seed(int(seed)) for seed in spec.seeds]
    images = []
    for i, (seed, generator) in enumerate(zip(spec.seeds, generators)):
        noise = _randn(seed, old_shape, device) if resized else _randn(seed, shape, device, generator)
        if spec.subseed_strength:
            subseed = spec.subseeds[i] if i < len(spec.subseeds) else 0
            noise = slerp(spec.subseed_strength, noise, _randn(subseed, old_shape, device))
        if resized:
            noise = _paste_centred(noise, _randn(seed, shape, device, generator))
        images.append(noise)
    return torch.stack(images), generators


def ensd_generators(seeds: tuple[int, ...], delta: int, device: str) -> list[torch.Generator]:
    """A1111 reseeds the per-image generators with ``seed + ENSD`` once the first noise is drawn."""
    return [torch.Generator(device).manual_seed(int(seed) + delta) for seed in seeds]
