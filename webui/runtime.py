"""Device, dtype and memory plan: chosen from what the machine has, then applied to a pipeline.

A1111 needs ``--medvram``/``--lowvram`` and ``--no-half-vae`` spelled out; here the memory this
process may really use decides (a1111-compat.md §12): the card's free memory, capped by a
per-process fraction, not its nominal size. What does not fit is offloaded piece by piece: first
the text encoders (needed only to encode the prompt), then the VAE (needed only to decode), and
only then the whole model, so that an SDXL UNet stays on an 8 GiB card and runs at full speed.
Large images always decode through the tiled VAE so 1024×1024 fits in 8 GB.
"""

from __future__ import annotations

from dataclasses import dataclass

GIB = 1024 ** 3
TILE_ABOVE_PIXELS = 768 * 768

# fp16 bytes of each component of the standard models (parameter count × 2), and what one image at
# the family's native size needs on top while the UNet runs and while the VAE decodes (activations,
# cuBLAS workspace, allocator slack). SD1's is the measured 512² peak (2.64 GiB) less its weights;
# SDXL decodes in fp32 (its VAE config asks for the upcast), in tiles above 768². The others are
# estimates that bench/generate_gpu.py checks: it prints the peak of each plan it runs.
WEIGHTS: dict[str, dict[str, int]] = {
    "sd1": {"unet": 1_719_000_000, "text_encoder": 246_000_000, "vae": 167_000_000},
    "sd2": {"unet": 1_732_000_000, "text_encoder": 681_000_000, "vae": 167_000_000},
    "sdxl": {"unet": 5_135_000_000, "text_encoder": 246_000_000,
             "text_encoder_2": 1_389_000_000, "vae": 167_000_000},
}
UNET_WORKING: dict[str, int] = {"sd1": GIB * 6 // 10, "sd2": GIB * 8 // 10, "sdxl": GIB}
DECODE_WORKING: dict[str, int] = {"sd1": GIB * 6 // 10, "sd2": GIB * 8 // 10, "sdxl": GIB * 7 // 4}
TEXT_ENCODERS = ("text_encoder", "text_encoder_2")


@dataclass(frozen=True)
class Machine:
    cuda: bool
    mps: bool
    vram: int  # bytes of the first CUDA device, 0 without one
    limit: int | None = None  # bytes this process may use there (free, under any fraction)
    triton: bool = False  # torch.compile's GPU code generator is importable

    @property
    def usable(self) -> int:
        return self.vram if self.limit is None else self.limit


@dataclass(frozen=True)
class Runtime:
    device: str          # "cuda", "mps" or "cpu"
    half: bool           # fp16 weights and activations
    offload: str         # "none", "parts", "model" (medvram) or "sequential" (lowvram)
    visiting: tuple[str, ...] = ()  # with "parts": components kept in RAM, brought in for their use

    def dtype(self):
        import torch

        return torch.float16 if self.half else torch.float32

    def load_device(self) -> str:
        """Where the checkpoint's UNet and VAE are materialised: straight on the GPU if they stay."""
        return self.device if self.offload in ("none", "parts") else "cpu"

    def place(self, pipe) -> None:
        """Move ``pipe`` where it runs; offloading keeps parts on the CPU and moves them on demand."""
        if self.offload == "model":
            pipe.enable_model_cpu_offload()
        elif self.offload == "sequential":
            pipe.enable_sequential_cpu_offload()
        elif self.offload == "parts":
            from webui import visitors

            for name, component in pipe.components.items():
                if name in self.visiting:
                    visitors.attach(pipe, component, self.device)
                elif hasattr(component, "to") and not isinstance(component, str):
                    component.to(self.device)
        else:
            pipe.to(self.device)


def usable_vram(free: int, total: int, fraction: float) -> int:
    """What this process may allocate: the free memory, capped by its per-process fraction."""
    return min(free, int(total * fraction))


def plan_memory(family: str, limit: int) -> tuple[str, tuple[str, ...]]:
    """The fastest placement whose peak fits ``limit`` bytes: (offload, visiting components).

    Generation has three phases (encode the prompt, run the UNet, decode); a plan's peak is its
    resident weights plus the largest phase's own need. Visitors come to the GPU for their phase
    only; whole-model offload keeps just the running model there.
    """
    weights = WEIGHTS.get(family, WEIGHTS["sdxl"])
    unet_work = UNET_WORKING.get(family, UNET_WORKING["sdxl"])
    decode_work = DECODE_WORKING.get(family, DECODE_WORKING["sdxl"])
    texts = tuple(name for name in TEXT_ENCODERS if name in weights)
    text_bytes = sum(weights[name] for name in texts)
    for visiting in ((), texts, texts + ("vae",)):
        resident = sum(size for name, size in weights.items() if name not in visiting)
        vae_visit = weights["vae"] if "vae" in visiting else 0
        phases = (text_bytes if visiting else 0, unet_work, vae_visit + decode_work)
        if resident + max(phases) <= limit:
            return ("parts", visiting) if visiting else ("none", ())
    if max(weights["unet"] + unet_work, weights["vae"] + decode_work, *weights.values()) <= limit:
        return "model", ()
    return "sequential", ()


def choose_runtime(machine: Machine, family: str, medvram: bool = False,
                   lowvram: bool = False) -> Runtime:
    """CUDA fp16, else MPS fp16, else CPU fp32; on CUDA the memory plan decides what is offloaded."""
    if machine.cuda:
        if lowvram:
            return Runtime("cuda", True, "sequential")
        if medvram:
            return Runtime("cuda", True, "model")
        offload, visiting = plan_memory(family, machine.usable)
        return Runtime("cuda", True, offload, visiting)
    if machine.mps:
        return Runtime("mps", True, "none")
    return Runtime("cpu", False, "none")


def vae_tiling(width: int, height: int, machine: Machine) -> bool:
    """Tile the VAE decode for large images on a GPU, where its activations dominate peak memory."""
    return machine.cuda and width * height > TILE_ABOVE_PIXELS


def probe_machine() -> Machine:
    import torch

    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    if not cuda:
        return Machine(cuda=False, mps=mps, vram=0)
    import importlib.util

    free, total = torch.cuda.mem_get_info(0)
    # torch ≥ 2.12 reports the fraction set by set_per_process_memory_fraction; older: no cap known
    fraction = getattr(torch.cuda, "get_per_process_memory_fraction", lambda device: 1.0)(0)
    return Machine(cuda=True, mps=mps, vram=total, limit=usable_vram(free, total, fraction),
                   triton=importlib.util.find_spec("triton") is not None)
