"""Device, dtype and memory mode: chosen from what the machine has, then applied to a pipeline.

A1111 needs ``--medvram``/``--lowvram`` and ``--no-half-vae`` spelled out; here the card's memory
decides (a1111-compat.md §12): SD1.x fits an 8 GB card whole, SDXL below 10 GB needs model CPU
offload, and large images always decode through the tiled VAE so 1024×1024 fits in 8 GB.
"""

from __future__ import annotations

from dataclasses import dataclass

GIB = 1024 ** 3
_SDXL_WHOLE_MIN_VRAM = 10 * GIB
_SD_WHOLE_MIN_VRAM = 4 * GIB
TILE_ABOVE_PIXELS = 768 * 768


@dataclass(frozen=True)
class Machine:
    cuda: bool
    mps: bool
    vram: int  # bytes of the first CUDA device, 0 without one


@dataclass(frozen=True)
class Runtime:
    device: str          # "cuda", "mps" or "cpu"
    half: bool           # fp16 weights and activations
    offload: str         # "none", "model" (medvram) or "sequential" (lowvram)

    def dtype(self):
        import torch

        return torch.float16 if self.half else torch.float32

    def place(self, pipe) -> None:
        """Move ``pipe`` where it runs; offloading keeps it on the CPU and moves parts on demand."""
        if self.offload == "model":
            pipe.enable_model_cpu_offload()
        elif self.offload == "sequential":
            pipe.enable_sequential_cpu_offload()
        else:
            pipe.to(self.device)


def choose_runtime(machine: Machine, family: str, medvram: bool = False,
                   lowvram: bool = False) -> Runtime:
    """CUDA fp16, else MPS fp16, else CPU fp32; offload when the card is too small for the family."""
    if machine.cuda:
        whole = _SDXL_WHOLE_MIN_VRAM if family == "sdxl" else _SD_WHOLE_MIN_VRAM
        offload = "sequential" if lowvram else "model" if medvram or machine.vram < whole else "none"
        return Runtime("cuda", True, offload)
    if machine.mps:
        return Runtime("mps", True, "none")
    return Runtime("cpu", False, "none")


def vae_tiling(width: int, height: int, machine: Machine) -> bool:
    """Tile the VAE decode for large images on a GPU, where its activations dominate peak memory."""
    return machine.cuda and width * height > TILE_ABOVE_PIXELS


def probe_machine() -> Machine:
    import torch

    cuda = torch.cuda.is_available()
    vram = torch.cuda.get_device_properties(0).total_memory if cuda else 0
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    return Machine(cuda=cuda, mps=mps, vram=vram)
