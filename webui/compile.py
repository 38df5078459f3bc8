"""Compiled generation on CUDA: the UNet under ``torch.compile`` with CUDA graphs.

At batch 1 eager generation is bound by Python and kernel launches, not by the GPU; replaying a
captured CUDA graph removes both (issue 13 measured 4.2× on an H200). This module holds:

* :func:`decide`: whether the compiled mode is used: asked for (``--compile``), on CUDA with triton
  and the UNet resident on the GPU, else refused with a sentence. It stays off by default until
  bench/generate_gpu.py has shown this engine's compiled path to pay and to match eager images
  (bench/RESULTS.md: not yet measured);
* :func:`graph_key` / :class:`CompiledUnet`: what makes the next image pay a compile (or a CUDA
  graph capture), announced once per key in the log and the page's progress text;
* :func:`cache_env`: inductor's persistent cache in the sdsetup home, so a second start reuses
  the first one's kernels.

Why images stay right when users change things between images: the graph is compiled for static
sizes (``dynamic=False``): a new width, height or batch compiles once more, and dynamo's shape
guards pick the right graph afterwards. (Dynamic sizes would compile once for all sizes, but on
an H200 with torch 2.11 compiling the SD1.5 UNet that way had not finished after six minutes.)
The sampler and CFG change the inputs, not the graph (CFG 1 halves the batch: a new key); the
weights are graph inputs, not constants (inductor's freezing stays off), so a
model switch to the same architecture swaps them without a recompile, and dynamo's guards
recompile for a different architecture. LoRAs are PEFT adapters whose structure and scales
dynamo guards on: adding one or changing its weight recompiles rather than reusing a graph
built for other weights, so the LoRA set and weights are part of the key.

VAE decode stays eager: at 20 steps it is a small share of an image and its own compile would
add about half a minute to every first image.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from webui.runtime import Machine, Runtime

MODE = "reduce-overhead"   # inductor kernels + CUDA graphs (cudagraph trees)
RECOMPILE_LIMIT = 64       # dynamo's default (8) would silently fall back to eager after 8 keys
CACHE_FOLDER = "torch-compile"


@dataclass(frozen=True)
class Choice:
    enabled: bool
    reason: str | None = None  # an i18n key saying why, when the user should hear it


def decide(requested: bool | None, machine: Machine, runtime: Runtime) -> Choice:
    """Compiled mode on or off; ``requested`` is --compile (True), --no-compile (False) or None."""
    if not requested:  # the default path stays as it is, and quiet
        return Choice(False)
    if not machine.cuda:
        return Choice(False, "run.compile_no_cuda")
    if not machine.triton:
        return Choice(False, "run.compile_no_triton")
    if runtime.offload != "none":
        return Choice(False, "run.compile_offload")
    return Choice(True, "run.compile_on")


@dataclass(frozen=True)
class GraphKey:
    family: str
    width: int
    height: int
    batch: int                             # the UNet's batch: images, twice with CFG
    loras: tuple[tuple[str, float], ...] = ()
    # Timesteps as integers (diffusers' DDIM, PLMS, UniPC, LCM) rather than floats (the
    # k-diffusion samplers): another input dtype, so dynamo compiles another graph.
    discrete: bool = False


def graph_key(family: str, width: int, height: int, batch_size: int, cfg_scale: float,
              loras: tuple[tuple[str, float], ...] = (), discrete: bool = False) -> GraphKey:
    """What the compiled UNet sees of a request (diffusers runs CFG as one doubled batch)."""
    return GraphKey(family, width, height, batch_size * (2 if cfg_scale > 1 else 1),
                    tuple(sorted(loras)), discrete)


def cache_env(cache_dir: str) -> dict[str, str]:
    """Environment that puts inductor's (and triton's) on-disk caches under ``cache_dir``."""
    return {"TORCHINDUCTOR_CACHE_DIR": cache_dir, "TORCHINDUCTOR_FX_GRAPH_CACHE": "1",
            "TORCHINDUCTOR_AUTOGRAD_CACHE": "1"}


def _torch_compile(module) -> None:
    import torch

    config = torch._dynamo.config
    setattr(config, "recompile_limit" if hasattr(config, "recompile_limit") else "cache_size_limit",
            RECOMPILE_LIMIT)
    module.compile(mode=MODE, dynamic=False)


class CompiledUnet:
    """Compiles each loaded UNet in place and remembers which keys have been run."""

    def __init__(self, compile_module: Callable[[object], None] = _torch_compile) -> None:
        self._compile_module = compile_module
        self._seen: set[GraphKey] = set()

    def attach(self, pipe) -> None:
        self._compile_module(pipe.unet)

    def notice(self, key: GraphKey) -> str | None:
        """The sentence to show before the first image with ``key``; None once it has run."""
        from sdsetup.i18n import t

        if key in self._seen:
            return None
        self._seen.add(key)
        return t("run.compiling", size=f"{key.width}×{key.height}", batch=key.batch)
