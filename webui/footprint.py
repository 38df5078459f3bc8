"""Will a generation fit in memory? A pure estimate from the model family, size and batch.

A1111 has no caps on size or batch; it just runs out of memory. Here a request whose estimate
exceeds the device's memory is refused up front with a 422 that says how much it needs and what
would fit. The figures are deliberately low (SDPA attention, the VAE decoding one image at a
time when tiled) so a request that would fit is never refused: only hopeless ones are.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from webui.errors import RequestError

GIB = 1024 ** 3
# Bytes per latent pixel per image in the UNet (two passes for CFG, fp16 activations), and per
# output pixel in the VAE decoder; lower bounds measured on SD1.5 / SDXL with SDPA.
_UNET_PER_LATENT_PIXEL = {"sd1": 48 * 1024, "sd2": 48 * 1024, "sdxl": 64 * 1024}
_VAE_PER_PIXEL = 1536


@dataclass(frozen=True)
class Job:
    family: str
    width: int
    height: int
    batch: int
    hires: tuple[int, int] | None = None    # the second pass's size


@dataclass(frozen=True)
class Memory:
    kind: str          # "GPU" or "RAM"
    free: int          # bytes the activations may use (weights already placed)
    bytes_per_value: int = 2


def needed(job: Job, bytes_per_value: int = 2) -> int:
    """Bytes of activations the job's largest pass needs (weights not included)."""
    width, height = job.hires or (job.width, job.height)
    per_image = (_UNET_PER_LATENT_PIXEL.get(job.family, _UNET_PER_LATENT_PIXEL["sdxl"])
                 * (width // 8) * (height // 8) + _VAE_PER_PIXEL * width * height)
    return per_image * job.batch * bytes_per_value // 2


def _largest_batch(job: Job, memory: Memory) -> int:
    one = needed(Job(job.family, job.width, job.height, 1, job.hires), memory.bytes_per_value)
    return memory.free // one if one else job.batch


def _largest_square(job: Job, memory: Memory) -> int:
    side = 64
    while needed(Job(job.family, side * 2, side * 2, 1), memory.bytes_per_value) <= memory.free:
        side *= 2
    return side


def _gib(value: int) -> str:
    return f"{value / GIB:.1f} GiB"


def check(job: Job, memory: Memory | None) -> None:
    """A 422 naming the batch size (or the size) when the job cannot fit; None when unknown."""
    if memory is None:
        return
    need = needed(job, memory.bytes_per_value)
    if need <= memory.free:
        return
    batch = _largest_batch(job, memory)
    if batch >= 1:
        raise RequestError("batch_size", "run.out_of_memory", needed=_gib(need), kind=memory.kind,
                           available=_gib(memory.free), fits=f"batch_size {batch}")
    side = _largest_square(job, memory)
    raise RequestError("width", "run.out_of_memory", needed=_gib(need), kind=memory.kind,
                       available=_gib(memory.free), fits=f"{side}x{side} with batch_size 1")


def available(machine, pipe) -> Memory | None:
    """What the device has for activations: its memory less the loaded weights."""
    weights = _weights(pipe)
    if machine.cuda:
        return Memory("GPU", max(machine.vram - weights, 0), 2)
    if hasattr(os, "sysconf"):
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        return Memory("RAM", max(total - weights, 0), 4)
    return None


def _weights(pipe) -> int:
    total = 0
    for name in ("unet", "vae", "text_encoder", "text_encoder_2"):
        module = getattr(pipe, name, None)
        if module is not None:
            total += sum(p.numel() * p.element_size() for p in module.parameters())
    return total
