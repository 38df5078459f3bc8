"""The one generator: the loaded model, the queue lock, and the progress state clients poll.

Like A1111, generation runs under a single lock in a worker thread while ``progress`` and
``interrupt`` answer without it (a1111-compat.md §1, §5); the UI and the API call the same
:meth:`Engine.txt2img`. Switching models frees the old pipeline before loading the new one.
"""

from __future__ import annotations

import gc
import random
import re
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import torch

from sdsetup import __version__
from webui import conditioning, hires, loading, samplers
from webui.catalog import (Checkpoint, HashCache, files_under, find_checkpoint, scan_checkpoints,
                           with_hash)
from webui.configs import PipelineConfig
from webui.errors import CheckpointError, RequestError
from webui.infotext import format_infotext
from webui.outputs import b64_png, save_png
from webui.params import Txt2Img, concrete_seed
from webui.preview import latent_preview
from webui.prompts import extract_networks
from webui.runtime import Machine, choose_runtime, vae_tiling

VERSION = f"sdsetup-{__version__}"
LORA_SUFFIXES = (".safetensors",)
VAE_SUFFIXES = (".safetensors",)
VAE_AUTOMATIC, VAE_NONE = "Automatic", "None"
EMBEDDING_SUFFIXES = (".safetensors", ".pt", ".bin")


@dataclass(frozen=True)
class Paths:
    checkpoints: Path
    loras: Path
    vaes: Path
    embeddings: Path
    outputs: Path
    hash_cache: Path


@dataclass(frozen=True)
class Options:
    medvram: bool = False
    lowvram: bool = False
    allow_ckpt: bool = False


@dataclass
class State:
    """A1111's ``shared.state`` fields, as the ``progress`` endpoint reports them."""

    job_count: int = 0
    job_no: int = 0
    sampling_step: int = 0
    sampling_steps: int = 0
    interrupted: bool = False
    job_timestamp: str = "0"
    started: float = 0.0
    textinfo: str | None = None


@dataclass(frozen=True)
class Result:
    images: list
    infotexts: list[str]
    seeds: list[int]
    info: dict
    saved: list[Path] = field(default_factory=list)


def _pairs(hashes: dict[str, str]) -> str | None:
    return ", ".join(f"{name}: {digest}" for name, digest in hashes.items()) or None


def blank_canvas(width: int, height: int) -> dict:
    """An inpainting model's txt2img inputs: repaint everything over a neutral grey image."""
    from PIL import Image

    return {"image": Image.new("RGB", (width, height), (127, 127, 127)),
            "mask_image": Image.new("L", (width, height), 255), "strength": 1.0}


class Engine:
    def __init__(self, paths: Paths, machine: Machine, options: Options) -> None:
        self.paths = paths
        self.machine = machine
        self.options = options
        self.queue_lock = threading.Lock()
        self.state = State()
        self._hashes = HashCache(paths.hash_cache)
        self._hasher = threading.Thread()
        self._rng = random.Random()
        self.checkpoints: list[Checkpoint] = []
        self.current: Checkpoint | None = None
        self.config: PipelineConfig | None = None
        self.pipe = None
        self._scheduler_config: dict = {}
        self._loras: dict[str, str] = {}
        self.embeddings: dict[str, Path] = {}
        self.skipped_embeddings: dict[str, Path] = {}
        self.clip_skip = 1
        self._latents = None
        self.vae_option = VAE_AUTOMATIC
        self._own_vae = None
        self.vae_file: Path | None = None
        self.refresh()

    # --- models -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Rescan the folder now; hash new files in the background so start-up never waits.

        Titles carry ``[hash]`` once it is known, as in A1111; hashes persist across runs.
        """
        self.checkpoints = scan_checkpoints(self.paths.checkpoints, self._hashes)
        if any(ck.sha256 is None for ck in self.checkpoints) and not self._hasher.is_alive():
            self._hasher = threading.Thread(target=self._hash_all, name="hash-checkpoints", daemon=True)
            self._hasher.start()

    def _hash_all(self) -> None:
        while pending := [ck for ck in self.checkpoints if ck.sha256 is None]:
            self._hashed(pending[0])

    def _hashed(self, checkpoint: Checkpoint) -> Checkpoint:
        try:
            done = replace(checkpoint, sha256=self._hashes.get(checkpoint.path))
        except OSError:  # deleted or unreadable since the scan: drop it until the next refresh
            self.checkpoints = [ck for ck in self.checkpoints if ck.path != checkpoint.path]
            return checkpoint
        self.checkpoints = with_hash(self.checkpoints, done)
        return done

    def selected(self) -> Checkpoint | None:
        """The loaded checkpoint, else the one the next generation will load (the first)."""
        return self.current or (self.checkpoints[0] if self.checkpoints else None)

    def loras(self) -> list[Path]:
        return files_under(self.paths.loras, LORA_SUFFIXES)

    def vaes(self) -> list[Path]:
        return files_under(self.paths.vaes, VAE_SUFFIXES)

    def vae_for(self, option: str) -> Path | None:
        """The VAE file an ``sd_vae`` value means; None for the checkpoint's own VAE.

        "Automatic" picks ``<checkpoint stem>.vae.safetensors`` when one exists, as A1111 does.
        """
        if option == VAE_NONE:
            return None
        if option == VAE_AUTOMATIC:
            current = self.selected()
            stem = current.path.stem + ".vae" if current else None
            return next((p for p in [*self.vaes(), *files_under(self.paths.checkpoints, VAE_SUFFIXES)]
                         if p.stem == stem), None)
        found = next((p for p in self.vaes() if option in (p.name, p.stem)), None)
        if found is None:
            raise RequestError("sd_vae", "run.vae_not_found", name=option)
        return found

    def set_vae_option(self, option: str) -> None:
        self.vae_for(option)  # unknown names fail now, not at the next generation
        self.vae_option = option

    def _apply_vae(self, option: str) -> None:
        wanted = self.vae_for(option)
        if wanted == self.vae_file:
            return
        runtime = choose_runtime(self.machine, self.config.family, self.options.medvram,
                                 self.options.lowvram)
        self.pipe.vae = self._own_vae if wanted is None else loading.load_vae(wanted, self.config, runtime)
        runtime.place(self.pipe)
        self.vae_file = wanted

    def select(self, wanted: str) -> Checkpoint:
        """Load the checkpoint ``wanted`` names (any A1111 spelling); blocks until it is ready."""
        with self.queue_lock:
            return self._select(wanted)

    def _select(self, wanted: str) -> Checkpoint:
        checkpoint = find_checkpoint(self.checkpoints, wanted)
        if checkpoint is None:
            self.refresh()
            checkpoint = find_checkpoint(self.checkpoints, wanted)
        if checkpoint is None:
            raise CheckpointError("run.ckpt_not_found", hint="run.hint_models_get", name=wanted)
        if self.pipe is None or self.current is None or checkpoint.path != self.current.path:
            self._load(checkpoint)
        return checkpoint

    def _unload(self) -> None:
        self.pipe, self.current, self.config, self._loras = None, None, None, {}
        self._own_vae, self.vae_file = None, None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def _load(self, checkpoint: Checkpoint) -> None:
        self._unload()
        planned = loading.plan(checkpoint.path, self.options.allow_ckpt)
        runtime = choose_runtime(self.machine, planned.family, self.options.medvram,
                                 self.options.lowvram)
        pipe, config = loading.load_pipeline(checkpoint.path, runtime, self.options.allow_ckpt,
                                             planned)
        pipe.set_progress_bar_config(disable=True)
        self.pipe, self.config = pipe, config
        self.current = checkpoint if checkpoint.sha256 else self._hashed(checkpoint)
        self._scheduler_config = dict(pipe.scheduler.config)
        self._own_vae = pipe.vae
        self._load_embeddings()
        self.state.job_count = 0

    def _load_embeddings(self) -> None:
        self.embeddings, self.skipped_embeddings = {}, {}
        for path in files_under(self.paths.embeddings, EMBEDDING_SUFFIXES):
            try:
                self.pipe.load_textual_inversion(str(path), token=path.stem)
                self.embeddings[path.stem] = path
            except (ValueError, KeyError, RuntimeError, OSError):
                self.skipped_embeddings[path.stem] = path  # another family's embedding, most often

    def _ensure_model(self, wanted: str | None) -> None:
        if wanted:
            self._select(wanted)
        elif self.pipe is None:
            first = self.selected()
            if first is None:
                raise CheckpointError("run.no_checkpoints", hint="run.hint_models_get",
                                      folder=str(self.paths.checkpoints))
            self._load(first)

    def _apply_loras(self, names: list[tuple[str, float]]) -> tuple[list[str], dict[str, str]]:
        """Activate the prompt's LoRAs; returns the names not found and ``Lora hashes`` entries."""
        files = {p.stem: p for p in self.loras()}
        missing, active, hashes = [], [], {}
        for name, weight in names:
            path = files.get(name)
            if path is None:
                missing.append(name)
                continue
            adapter = "".join(c if c.isalnum() else "_" for c in name)
            if adapter not in self._loras:
                self.pipe.load_lora_weights(str(path.parent), weight_name=path.name, adapter_name=adapter)
                self._loras[adapter] = name
            active.append((adapter, weight))
            hashes[name.replace(":", "").replace(",", "")] = self._hashes.get(path, "autov3")[:12]
        if self._loras:
            if active:
                self.pipe.set_adapters([a for a, _ in active], adapter_weights=[w for _, w in active])
            else:
                self.pipe.disable_lora()
        if active:
            self.pipe.enable_lora()
        return missing, hashes

    def _embedding_hashes(self, *texts: str) -> dict[str, str]:
        """``TI hashes`` entries for the embeddings a prompt uses (their name as a word)."""
        used = {}
        for name, path in self.embeddings.items():
            word = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
            if any(word.search(text) for text in texts):
                used[name] = self._hashes.get(path)[:12]
        return used

    # --- generation ---------------------------------------------------------------------------
    def interrupt(self) -> None:
        self.state.interrupted = True

    def preview(self):
        """A cheap picture of the image being sampled now, or None between jobs."""
        latents = self._latents
        if latents is None or self.state.job_count <= 0 or latents.shape[1] != 4:
            return None
        return latent_preview(latents, self.config.family if self.config else "sd1")

    def progress(self, with_image: bool = False) -> dict:
        s = self.state
        if s.job_count == 0:
            return {"progress": 0.0, "eta_relative": 0.0, "state": self.state_dict(),
                    "current_image": None, "textinfo": s.textinfo}
        fraction = 0.01 + s.job_no / max(s.job_count, 1)
        if s.sampling_steps:
            fraction += s.sampling_step / s.sampling_steps / max(s.job_count, 1)
        fraction = min(fraction, 1.0)
        elapsed = time.time() - s.started
        image = self.preview() if with_image else None
        return {"progress": fraction, "eta_relative": elapsed / fraction - elapsed,
                "state": self.state_dict(), "textinfo": s.textinfo,
                "current_image": b64_png(image, "") if image is not None else None}

    def state_dict(self) -> dict:
        s = self.state
        return {"skipped": False, "interrupted": s.interrupted, "stopping_generation": False,
                "job": f"txt2img({s.job_no})" if s.job_count else "", "job_count": s.job_count,
                "job_timestamp": s.job_timestamp, "job_no": s.job_no,
                "sampling_step": s.sampling_step, "sampling_steps": s.sampling_steps}

    def txt2img(self, request: Txt2Img, save: bool) -> Result:
        with self.queue_lock:
            self._latents = None
            self.state = State(job_count=-1, started=time.time(),
                               job_timestamp=datetime.now().strftime("%Y%m%d%H%M%S"))
            try:
                self._ensure_model(request.checkpoint)
                return self._run(request, save)
            finally:
                self.state.job_count = 0
                self.state.job_no = 0

    def _scheduler(self, choice: samplers.Choice):
        import diffusers

        name, settings = samplers.scheduler_settings(choice)
        try:
            return getattr(diffusers, name).from_config(self._scheduler_config, **settings)
        except ImportError as exc:  # a managed env built without an optional dependency (scipy)
            raise RequestError("sampler_name", "run.sampler_unavailable",
                               sampler=choice.sampler.name, reason=str(exc).strip()) from exc

    def _on_step(self, pipe, step: int, timestep, kwargs: dict) -> dict:
        self.state.sampling_step = step + 1
        self._latents = kwargs.get("latents")  # the pipeline makes a new tensor every step
        if self.state.interrupted:
            pipe._interrupt = True
        return kwargs

    def _run(self, request: Txt2Img, save: bool) -> Result:
        pipe = self.pipe
        seed = concrete_seed(request.seed, self._rng)
        choice = samplers.resolve(request.sampler_name, request.scheduler)
        prompt_text, networks = extract_networks(request.prompt)
        self._apply_vae(request.vae or self.vae_option)
        missing, lora_hashes = self._apply_loras([(n.name, n.weight) for n in networks
                                                  if n.kind == "lora"])
        extra = {"Lora hashes": _pairs(lora_hashes),
                 "TI hashes": _pairs(self._embedding_hashes(prompt_text, request.negative_prompt))}
        positive, negative = conditioning.encode_pair(pipe, prompt_text, request.negative_prompt,
                                                      request.clip_skip)
        if vae_tiling(request.width, request.height, self.machine):
            pipe.vae.enable_tiling()
        else:
            pipe.vae.disable_tiling()
        embeds = {"prompt_embeds": positive.embeds, "negative_prompt_embeds": negative.embeds}
        if positive.pooled is not None:
            embeds.update(pooled_prompt_embeds=positive.pooled,
                          negative_pooled_prompt_embeds=negative.pooled)
        if self.config.inpainting:
            embeds.update(blank_canvas(request.width, request.height))
        device = "cuda" if self.machine.cuda else "cpu"  # MPS generators are not seedable alike
        upscale = hires.plan(request.width, request.height, request.steps, request.hires,
                             pixels_only=self.config.inpainting) if request.hires else None
        if upscale:
            extra = {**hires.infotext_fields(request.hires, upscale), **extra}
        passes = 2 if upscale else 1
        self.state.job_count, self.state.sampling_steps = request.n_iter * passes, request.steps
        images, infotexts, seeds, saved = [], [], [], []
        now = datetime.now()
        for n in range(request.n_iter):
            if self.state.interrupted:
                break
            self.state.job_no, self.state.sampling_step = n * passes, 0
            batch_seeds = [seed + n * request.batch_size + i for i in range(request.batch_size)]
            pipe.scheduler = self._scheduler(choice)
            latent_first = upscale is not None and upscale.latent_mode is not None
            out = pipe(**embeds, num_inference_steps=request.steps, guidance_scale=request.cfg_scale,
                       width=request.width, height=request.height,
                       num_images_per_prompt=request.batch_size,
                       generator=[torch.Generator(device).manual_seed(s) for s in batch_seeds],
                       callback_on_step_end=self._on_step,
                       output_type="latent" if latent_first else "pil")
            batch = out.images
            if upscale and not self.state.interrupted:
                self.state.job_no, self.state.sampling_step = n * passes + 1, 0
                batch = self._hires_pass(batch, upscale, request, choice, embeds,
                                         [torch.Generator(device).manual_seed(s) for s in batch_seeds])
            elif latent_first:  # interrupted before the second pass: still show the first
                batch = self._decode(batch)
            for image, image_seed in zip(batch, batch_seeds):
                text = format_infotext(request.prompt, request.negative_prompt,
                                       {**self._settings(request, choice, image_seed), **extra,
                                        "Version": VERSION})
                image.info["parameters"] = text
                images.append(image)
                infotexts.append(text)
                seeds.append(image_seed)
                if save:
                    saved.append(save_png(image, text, self.paths.outputs, image_seed, now))
        self.state.textinfo = ", ".join(missing) or None
        return Result(images, infotexts, seeds, self._info(request, choice, seeds, infotexts), saved)

    def _decode(self, latents: torch.Tensor) -> list:
        vae = self.pipe.vae
        decoded = vae.decode(latents.to(vae.dtype) / vae.config.scaling_factor, return_dict=False)[0]
        return self.pipe.image_processor.postprocess(decoded.detach(), output_type="pil")

    def _hires_pass(self, first, upscale: hires.HiresPlan, request: Txt2Img,
                    choice: samplers.Choice, embeds: dict, generators: list) -> list:
        """Upscale the first pass (latents or pixels) and re-sample it with img2img."""
        from diffusers import AutoPipelineForImage2Image
        from PIL import Image

        if upscale.latent_mode:
            mode, antialias = upscale.latent_mode
            factor = self.pipe.vae_scale_factor
            image = torch.nn.functional.interpolate(
                first, size=(upscale.height // factor, upscale.width // factor), mode=mode,
                antialias=antialias)
        else:
            resample = getattr(Image.Resampling, hires.PIXEL_MODES[upscale.upscaler])
            image = [im.resize((upscale.width, upscale.height), resample) for im in first]
        if self.config.inpainting:  # the inpainting pipeline already is an img2img one
            second = self.pipe
            canvas = {**embeds, **blank_canvas(upscale.width, upscale.height), "image": image,
                      "width": upscale.width, "height": upscale.height}
            embeds = {k: v for k, v in canvas.items() if k != "strength"}
        else:
            second = AutoPipelineForImage2Image.from_pipe(self.pipe)
            embeds = {**embeds, "image": image}
        second.set_progress_bar_config(disable=True)
        second.scheduler = self._scheduler(choice)
        self.state.sampling_steps = max(1, int(upscale.steps * request.hires.denoising))
        return second(**embeds, strength=request.hires.denoising, num_inference_steps=upscale.steps,
                      guidance_scale=request.cfg_scale, num_images_per_prompt=request.batch_size,
                      generator=generators, callback_on_step_end=self._on_step,
                      output_type="pil").images

    def _settings(self, request: Txt2Img, choice: samplers.Choice, seed: int) -> dict:
        ck = self.current
        return {"Steps": request.steps, "Sampler": choice.sampler.name,
                "Schedule type": choice.schedule_label, "CFG scale": request.cfg_scale,
                "Seed": seed, "Size": f"{request.width}x{request.height}",
                "Model hash": ck.shorthash if ck else None, "Model": ck.stem if ck else None,
                "VAE hash": self._vae_hash(), "VAE": self.vae_file.stem if self.vae_file else None,
                "Denoising strength": request.hires.denoising if request.hires else None,
                "Clip skip": request.clip_skip if request.clip_skip > 1 else None}

    def _vae_hash(self) -> str | None:
        return self._hashes.get(self.vae_file)[:10] if self.vae_file else None

    def _info(self, request: Txt2Img, choice: samplers.Choice, seeds: list[int],
              infotexts: list[str]) -> dict:
        ck = self.current
        count = len(seeds)
        return {
            "prompt": request.prompt, "all_prompts": [request.prompt] * count,
            "negative_prompt": request.negative_prompt,
            "all_negative_prompts": [request.negative_prompt] * count,
            "seed": seeds[0] if seeds else request.seed, "all_seeds": seeds,
            "subseed": -1, "all_subseeds": [-1] * count, "subseed_strength": 0,
            "width": request.width, "height": request.height, "sampler_name": choice.sampler.name,
            "cfg_scale": request.cfg_scale, "steps": request.steps, "batch_size": request.batch_size,
            "restore_faces": False, "face_restoration_model": None,
            "sd_model_name": ck.stem if ck else None, "sd_model_hash": ck.shorthash if ck else None,
            "sd_vae_name": self.vae_file.stem if self.vae_file else None,
            "sd_vae_hash": self._vae_hash(), "seed_resize_from_w": -1,
            "seed_resize_from_h": -1,
            "denoising_strength": request.hires.denoising if request.hires else None,
            "extra_generation_params": {"Schedule type": choice.schedule_label} if choice.schedule_label else {},
            "index_of_first_image": 0, "infotexts": infotexts, "styles": [],
            "job_timestamp": self.state.job_timestamp, "clip_skip": request.clip_skip,
            "is_using_inpainting_conditioning": False, "version": VERSION,
        }

