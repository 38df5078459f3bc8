"""The one generator: the loaded model, the queue lock, and the progress state clients poll.

Like A1111, generation runs under a single lock in a worker thread while ``progress`` and
``interrupt`` answer without it (a1111-compat.md §1, §5); the UI and the API call the same
:meth:`Engine.txt2img`. Switching models frees the old pipeline before loading the new one.
"""

from __future__ import annotations

import gc
import logging
import random
import re
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import torch

from sdsetup import __version__
from sdsetup.i18n import t
from webui import compile as compiled_mode
from webui import (conditioning, extras, faces, footprint, hires, img2img, loading, masking,
                   recording, samplers, seeds, upscalers, visitors)
from webui.catalog import (CHECKPOINT_SUFFIXES, Checkpoint, HashCache, files_under, find_checkpoint,
                           listing_stamp, scan_checkpoints, with_hash)
from webui.configs import PipelineConfig
from webui.errors import MissingModelError, RequestError
from webui.faces import Faces
from webui.img2img_params import Img2Img
from webui.infotext import format_infotext, generation_settings
from webui.interrogate import Interrogator
from webui.options import Settings
from webui.outputs import b64_png, save_extras, save_image
from webui.params import Txt2Img, concrete_seed
from webui.preview import latent_preview
from webui.prompts import extract_networks
from webui.runtime import Machine, choose_runtime, vae_tiling
from webui.styles import StyleBook, apply_styles
from webui.tiling import circular_padding
from webui.upscaling import Upscaling

VERSION = f"sdsetup-{__version__}"
LORA_SUFFIXES = (".safetensors",)
VAE_SUFFIXES = (".safetensors",)
VAE_AUTOMATIC, VAE_NONE = "Automatic", "None"
EMBEDDING_SUFFIXES = (".safetensors", ".pt", ".bin")
log = logging.getLogger("webui")


@dataclass(frozen=True)
class Paths:
    checkpoints: Path
    loras: Path
    vaes: Path
    embeddings: Path
    outputs: Path
    hash_cache: Path
    styles_file: Path | None = None          # prompt styles saved from the page go here
    more_styles: tuple[Path, ...] = ()       # read only: an A1111 install's styles.csv


@dataclass(frozen=True)
class Options:
    medvram: bool = False
    lowvram: bool = False
    allow_ckpt: bool = False
    compile: bool | None = None  # --compile / --no-compile; None: off until measured to pay


@dataclass
class State:
    """A1111's ``shared.state`` fields, as the ``progress`` endpoint reports them."""

    job_count: int = 0
    job_no: int = 0
    sampling_step: int = 0
    sampling_steps: int = 0
    interrupted: bool = False
    skipped: bool = False
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
        self._stamp: tuple = ()
        self.current: Checkpoint | None = None
        self._parked: Path | None = None  # the checkpoint unload-checkpoint freed
        self.config: PipelineConfig | None = None
        self.pipe = None
        self._scheduler_config: dict = {}
        self._loras: dict[str, str] = {}
        self.embeddings: dict[str, Path] = {}
        self.skipped_embeddings: dict[str, Path] = {}
        self.clip_skip = 1
        self.settings = Settings()
        self._latents = None
        self.vae_option = VAE_AUTOMATIC
        self._own_vae = None
        self.vae_file: Path | None = None
        self.styles = StyleBook(paths.styles_file, paths.more_styles)
        self.upscaling = Upscaling(machine.cuda)
        self.faces = Faces(self.models_dir, self.upscaling)
        self.interrogator = Interrogator(self.models_dir, machine.cuda)
        self.compiled: compiled_mode.CompiledUnet | None = None
        self._compiler = compiled_mode.CompiledUnet()
        self.refresh()

    @property
    def models_dir(self) -> Path:
        return self.paths.checkpoints.parent

    # --- models -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Rescan the folder now; hash new files in the background so start-up never waits.

        Titles carry ``[hash]`` once it is known, as in A1111; hashes persist across runs.
        """
        self._stamp = listing_stamp(self.paths.checkpoints, CHECKPOINT_SUFFIXES)
        self.checkpoints = scan_checkpoints(self.paths.checkpoints, self._hashes)
        if any(ck.sha256 is None for ck in self.checkpoints) and not self._hasher.is_alive():
            self._hasher = threading.Thread(target=self._hash_all, name="hash-checkpoints", daemon=True)
            self._hasher.start()

    def rescan(self) -> None:
        """Refresh only if files were added, removed or changed since the last scan (cheap)."""
        if listing_stamp(self.paths.checkpoints, CHECKPOINT_SUFFIXES) != self._stamp:
            self.refresh()

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
        """The loaded checkpoint, else the one the next generation will load.

        That is the one ``unload-checkpoint`` freed, else the first.
        """
        parked = next((ck for ck in self.checkpoints if ck.path == self._parked), None)
        return self.current or parked or (self.checkpoints[0] if self.checkpoints else None)

    def current_options(self) -> dict:
        """Every option (A1111's names, plus any key a client posted), with the live values the
        engine holds itself: what ``GET /options`` shows and what a request from the API or the
        page runs with."""
        current = self.selected()
        return {**self.settings.snapshot(),
                "sd_model_checkpoint": current.title if current else None,
                "sd_checkpoint_hash": current.sha256 if current else None,
                "CLIP_stop_at_last_layers": self.clip_skip, "sd_vae": self.vae_option,
                "outdir_txt2img_samples": str(self.paths.outputs / "txt2img-images")}

    def loras(self) -> list[Path]:
        return files_under(self.paths.loras, LORA_SUFFIXES)

    def upscalers(self) -> list[upscalers.Upscaler]:
        return upscalers.scan(self.models_dir)

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

    def select(self, wanted: str, field: str = "sd_model_checkpoint") -> Checkpoint:
        """Load the checkpoint ``wanted`` names (any A1111 spelling); blocks until it is ready."""
        with self.queue_lock:
            return self._select(wanted, field)

    def _select(self, wanted: str, field: str) -> Checkpoint:
        checkpoint = find_checkpoint(self.checkpoints, wanted)
        if checkpoint is None:
            self.refresh()
            checkpoint = find_checkpoint(self.checkpoints, wanted)
        if checkpoint is None:
            raise RequestError(field, "run.ckpt_not_found", hint="run.hint_refresh", name=wanted,
                               folder=str(self.paths.checkpoints))
        if self.pipe is None or self.current is None or checkpoint.path != self.current.path:
            self._switch(checkpoint)
        return checkpoint

    def unload(self) -> None:
        """Free the model and its (V)RAM; the next generation or :meth:`reload` loads it back."""
        with self.queue_lock:
            self._parked = self.current.path if self.current else self._parked
            self._unload()

    def reload(self) -> None:
        """Load the selected checkpoint if none is loaded (after :meth:`unload`)."""
        with self.queue_lock:
            self._ensure_model(None)

    def refresh_embeddings(self) -> None:
        """Load the embeddings added to the folder since the model was loaded."""
        with self.queue_lock:
            if self.pipe is not None:
                self._load_embeddings()

    def _switch(self, checkpoint: Checkpoint) -> None:
        """Load ``checkpoint``; if it fails, the model that was loaded is loaded again."""
        previous = self.current if self.pipe is not None else None
        try:
            self._load(checkpoint)
        except Exception:
            if previous is not None:
                self._load(previous)
            raise

    def _unload(self) -> None:
        self.pipe, self.current, self.config, self._loras = None, None, None, {}
        self._own_vae, self.vae_file = None, None
        self.embeddings, self.skipped_embeddings = {}, {}
        self._latents = None  # the last preview's tensor would keep a little VRAM
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
        choice = compiled_mode.decide(self.options.compile, self.machine, runtime)
        if choice.reason:
            log.info(t(choice.reason))
        self.compiled = self._compiler if choice.enabled else None
        if self.compiled:
            self.compiled.attach(pipe)
        self.pipe, self.config = pipe, config
        self.current = checkpoint if checkpoint.sha256 else self._hashed(checkpoint)
        self._scheduler_config = dict(pipe.scheduler.config)
        self._own_vae = pipe.vae
        self._load_embeddings()
        self.state.job_count = 0

    def _load_embeddings(self) -> None:
        """Add the embeddings not loaded yet (a token cannot be added to the tokenizer twice)."""
        self.skipped_embeddings = {}
        for path in files_under(self.paths.embeddings, EMBEDDING_SUFFIXES):
            if path.stem in self.embeddings:
                continue
            try:
                self.pipe.load_textual_inversion(str(path), token=path.stem)
                self.embeddings[path.stem] = path
            except (ValueError, KeyError, RuntimeError, OSError):
                self.skipped_embeddings[path.stem] = path  # another family's embedding, most often

    def _ensure_model(self, wanted: str | None) -> None:
        self.rescan()
        if wanted:
            self._select(wanted, "override_settings.sd_model_checkpoint")
        elif self.pipe is None:
            first = self.selected()
            if first is None:
                raise MissingModelError("run.no_checkpoints", hint="run.hint_refresh",
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

    def skip(self) -> None:
        """End the image being sampled now (it is still returned) and go on with the next."""
        self.state.skipped = True

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
        return {"skipped": s.skipped, "interrupted": s.interrupted, "stopping_generation": False,
                "job": f"txt2img({s.job_no})" if s.job_count else "", "job_count": s.job_count,
                "job_timestamp": s.job_timestamp, "job_no": s.job_no,
                "sampling_step": s.sampling_step, "sampling_steps": s.sampling_steps}

    def txt2img(self, request: Txt2Img, save: bool) -> Result:
        return self._generate(request, save)

    def img2img(self, job: Img2Img, save: bool) -> Result:
        """img2img, inpainting and outpainting: txt2img's path with init images (and a mask)."""
        return self._generate(job.base, save, job)

    def _generate(self, request: Txt2Img, save: bool, job: Img2Img | None = None) -> Result:
        with self.queue_lock:
            self._latents = None
            self.state = State(job_count=-1, started=time.time(),
                               job_timestamp=datetime.now().strftime("%Y%m%d%H%M%S"))
            try:
                if request.face_restorer:  # a missing model file is a 422 before any work
                    self.faces.require(faces.named(request.face_restorer), "restore_faces")
                self._ensure_model(request.checkpoint)
                return self._run(request, save, job)
            finally:
                self.state.job_count = 0
                self.state.job_no = 0

    def extras(self, request: extras.ExtrasRequest, images: list, save: bool = False) -> list[tuple]:
        """Each picture through the Extras: ``(image, postprocessing infotext)`` pairs; with
        ``save`` (the page, as A1111's tab; its API never saves) each also goes to outputs/."""
        with self.queue_lock:
            self.state = State(job_count=len(images), started=time.time(),
                               job_timestamp=datetime.now().strftime("%Y%m%d%H%M%S"))
            try:
                known = self.upscalers()
                done = []
                for number, image in enumerate(images):
                    if self.state.interrupted:
                        break
                    self.state.job_no = number
                    result, info = extras.process(image, request, known, self.upscaling, self.faces)
                    if save:
                        save_extras(result, str(image.info.get("parameters", "")), info, self.paths.outputs)
                    done.append((result, info))
                return done
            finally:
                self.state.job_count = 0
                self.state.job_no = 0

    def interrogate(self, image, model: str) -> str:
        """A caption for ``image`` (``/interrogate``), in turn with generations as in A1111."""
        with self.queue_lock:
            return self.interrogator.interrogate(image, model, self.settings.snapshot())

    def _scheduler(self, choice: samplers.Choice, request: Txt2Img, **img2img):
        try:
            return samplers.build_scheduler(choice, self._scheduler_config, self.config.family,
                                            recording.eta(choice, request), **img2img)
        except ImportError as exc:  # a managed env built without an optional dependency (scipy)
            raise RequestError("sampler_name", "run.sampler_unavailable",
                               sampler=choice.sampler.name, reason=str(exc).strip()) from exc

    def _on_step(self, pipe, step: int, timestep, kwargs: dict) -> dict:
        self.state.sampling_step = step + 1
        # model calls, which some samplers make more than one of per step
        self.state.sampling_steps = getattr(pipe, "_num_timesteps", None) or self.state.sampling_steps
        self._latents = kwargs.get("latents")  # the pipeline makes a new tensor every step
        if self.state.interrupted or self.state.skipped:
            pipe._interrupt = True
        return kwargs

    def _run(self, request: Txt2Img, save: bool, job: Img2Img | None = None) -> Result:
        pipe = self.pipe
        choice = samplers.resolve(request.sampler_name, request.scheduler)
        prompt, negative_prompt = apply_styles(request.prompt, request.negative_prompt,
                                               request.styles, self.styles.styles())
        request = replace(request, prompt=prompt, negative_prompt=negative_prompt)
        footprint.check(footprint.Job(self.config.family, request.width, request.height,
                                      request.batch_size, self._hires_size(request)),
                        footprint.available(self.machine, self.pipe))
        seed_list, subseed_list = self._seeds(request)
        prompt_text, networks = extract_networks(request.prompt)
        self._apply_vae(request.vae or self.vae_option)
        missing, lora_hashes = self._apply_loras([(n.name, n.weight) for n in networks
                                                  if n.kind == "lora"])
        positive, negative = conditioning.encode_pair(pipe, prompt_text, request.negative_prompt,
                                                      request.clip_skip)
        visitors.release(pipe)  # text encoders that only visit the GPU leave before the UNet runs
        self._announce_compile(request, choice, request.width, request.height)
        if vae_tiling(request.width, request.height, self.machine):
            pipe.vae.enable_tiling()
        else:
            pipe.vae.disable_tiling()
        embeds = {"prompt_embeds": positive.embeds, "negative_prompt_embeds": negative.embeds}
        if positive.pooled is not None:
            embeds.update(pooled_prompt_embeds=positive.pooled,
                          negative_pooled_prompt_embeds=negative.pooled)
        prepared: list[masking.Prepared] = []
        if job:
            prepared = [masking.prepare(image, job.mask, request.width, request.height,
                                        job.resize_mode, job.masking) for image in job.init_images]
        elif self.config.inpainting:
            embeds.update(blank_canvas(request.width, request.height))
        if choice.sampler.name == "DDIM":  # the other diffusers samplers take no eta
            embeds["eta"] = recording.eta(choice, request)
        device = "cuda" if self.machine.cuda else "cpu"  # MPS generators are not seedable alike
        upscale = hires.plan(request.width, request.height, request.steps, request.hires,
                             pixels_only=self.config.inpainting,
                             models=[u.name for u in self.upscalers() if u.is_model]
                             ) if request.hires else None
        extra = recording.extra_params(request, choice, upscale, lora_hashes,
                                       self._embedding_hashes(prompt_text, request.negative_prompt))
        if job:
            extra = {**prepared[0].infotext, **extra, "Noise multiplier":
                     job.noise_multiplier if job.noise_multiplier != 1.0 else None}
        passes = 2 if upscale else 1
        self.state.job_count, self.state.sampling_steps = request.n_iter * passes, (
            img2img.steps_run(request.steps, job.denoising) if job else request.steps)
        images, infotexts, saved = [], [], []
        now = datetime.now()
        ensd = recording.ensd(choice, request)
        fmt = request.settings.get("samples_format", "png")
        restore = self._face_restoration(request)
        channels = pipe.unet.config.out_channels
        factor = pipe.vae_scale_factor
        for n in range(request.n_iter):
            self.state.skipped = False
            if self.state.interrupted:
                break
            self.state.job_no, self.state.sampling_step = n * passes, 0
            batch = slice(n * request.batch_size, (n + 1) * request.batch_size)
            batch_seeds, batch_subseeds = seed_list[batch], subseed_list[batch]
            noise, generators = seeds.initial_noise(
                seeds.NoiseSpec(tuple(batch_seeds), tuple(batch_subseeds), request.subseed_strength,
                                request.seed_resize_from),
                (channels, request.height // factor, request.width // factor), device, factor)
            if ensd:
                generators = seeds.ensd_generators(tuple(batch_seeds), ensd, device)
            with circular_padding(pipe.unet, pipe.vae, enabled=request.tiling):
                if job:
                    scheduler = self._scheduler(choice, request, strength=job.denoising,
                                                run_steps=img2img.steps_run(request.steps, job.denoising))
                    result = img2img.run_batch(pipe, scheduler, job, prepared, embeds,
                                               request.batch_size, generators, self._on_step,
                                               restore)
                else:
                    result = [restore(image) for image in self._txt2img_batch(
                        request, choice, embeds, upscale, noise, generators, n * passes + 1)]
            for index, image in enumerate(result):
                generation = recording.describe(
                    request, choice, batch_seeds[index], batch_subseeds[index], extra, self._model_names(),
                    (self._vae_hash(), self.vae_file.stem if self.vae_file else None), VERSION)
                if job:  # A1111's inpainting_mask_weight is 1.0 unless changed in its settings
                    generation = replace(generation, denoising_strength=job.denoising,
                                         mask_weight=1.0 if self.config.inpainting else None)
                text = format_infotext(request.prompt, request.negative_prompt,
                                       generation_settings(generation))
                image.info["parameters"] = text
                images.append(image)
                infotexts.append(text)
                if save:
                    saved.append(save_image(image, text, self.paths.outputs, batch_seeds[index], now,
                                            fmt, "img2img-images" if job else "txt2img-images"))
        self.state.textinfo = ", ".join(missing) or None
        count = len(images)
        return Result(images, infotexts, seed_list[:count],
                      self._info(request, choice, seed_list[:count], subseed_list[:count], infotexts,
                                 extra, job), saved)

    def _face_restoration(self, request: Txt2Img):
        """What each decoded image goes through: the chosen face restorer, or nothing."""
        if not request.face_restorer:
            return lambda image: image
        restorer = faces.named(request.face_restorer)
        return lambda image: self.faces.restore_once(image, restorer, "restore_faces")

    def _seeds(self, request: Txt2Img) -> tuple[list[int], list[int]]:
        """A1111: image i gets ``seed + i`` unless a variation strength is set (then all share the
        seed), and variation seed ``subseed + i``."""
        total = request.n_iter * request.batch_size
        seed = concrete_seed(request.seed, self._rng)
        subseed = concrete_seed(request.subseed, self._rng)
        step = 0 if request.subseed_strength else 1
        return [seed + i * step for i in range(total)], [subseed + i for i in range(total)]

    def _hires_size(self, request: Txt2Img) -> tuple[int, int] | None:
        if not request.hires:
            return None
        return hires.target_size(request.width, request.height, request.hires)

    def _txt2img_batch(self, request: Txt2Img, choice: samplers.Choice, embeds: dict,
                       upscale: hires.HiresPlan | None, noise: torch.Tensor, generators: list,
                       hires_job_no: int) -> list:
        """One txt2img batch from ``noise``, with the hires fix's second pass when asked for."""
        pipe = self.pipe
        pipe.scheduler = self._scheduler(choice, request)
        latent_first = upscale is not None and upscale.latent_mode is not None
        out = pipe(**embeds, num_inference_steps=request.steps, guidance_scale=request.cfg_scale,
                   width=request.width, height=request.height,
                   num_images_per_prompt=request.batch_size, latents=noise.to(pipe.unet.dtype),
                   generator=generators, callback_on_step_end=self._on_step,
                   output_type="latent" if latent_first else "pil")
        result = out.images
        if upscale and not (self.state.interrupted or self.state.skipped):
            self.state.job_no, self.state.sampling_step = hires_job_no, 0
            return self._hires_pass(result, upscale, request, choice, embeds, generators)
        if latent_first:  # stopped before the second pass: still show the first
            return self._decode(result)
        return result

    def _announce_compile(self, request: Txt2Img, choice: samplers.Choice, width: int,
                          height: int) -> None:
        """Say so (log and progress text) when this pass pays a compile, first time only."""
        if self.compiled is None:
            return
        loras = tuple((n.name, n.weight) for n in extract_networks(request.prompt)[1] if n.kind == "lora")
        notice = self.compiled.notice(compiled_mode.graph_key(
            self.config.family, width, height, request.batch_size, request.cfg_scale, loras,
            discrete=not choice.sampler.kdiffusion))
        if notice:
            log.info(notice)
            self.state.textinfo = notice

    def _decode(self, latents: torch.Tensor) -> list:
        vae = self.pipe.vae
        decoded = vae.decode(latents.to(vae.dtype) / vae.config.scaling_factor, return_dict=False)[0]
        return self.pipe.image_processor.postprocess(decoded.detach(), output_type="pil")

    def _hires_pass(self, first, upscale: hires.HiresPlan, request: Txt2Img,
                    choice: samplers.Choice, embeds: dict, generators: list) -> list:
        """Upscale the first pass (latents or pixels) and re-sample it with img2img."""
        from diffusers import AutoPipelineForImage2Image

        if upscale.latent_mode:
            mode, antialias = upscale.latent_mode
            factor = self.pipe.vae_scale_factor
            image = torch.nn.functional.interpolate(
                first, size=(upscale.height // factor, upscale.width // factor), mode=mode,
                antialias=antialias)
        else:
            upscaler = upscalers.find(self.upscalers(), upscale.upscaler)
            image = [self.upscaling.to(im, upscaler, upscale.width, upscale.height, "hr_upscaler")
                     for im in first]
        if self.config.inpainting:  # the inpainting pipeline already is an img2img one
            second = self.pipe
            canvas = {**embeds, **blank_canvas(upscale.width, upscale.height), "image": image,
                      "width": upscale.width, "height": upscale.height}
            embeds = {k: v for k, v in canvas.items() if k != "strength"}
        else:
            second = AutoPipelineForImage2Image.from_pipe(self.pipe)
            embeds = {**embeds, "image": image}
        second.set_progress_bar_config(disable=True)
        self._announce_compile(request, choice, upscale.width, upscale.height)
        # A1111 runs the last ``hires steps`` of an ``upscale.steps`` schedule (setup_img2img_steps).
        second.scheduler = self._scheduler(choice, request, strength=request.hires.denoising,
                                           run_steps=request.hires.steps or request.steps)
        self.state.sampling_steps = max(1, int(upscale.steps * request.hires.denoising))
        return second(**embeds, strength=request.hires.denoising, num_inference_steps=upscale.steps,
                      guidance_scale=request.cfg_scale, num_images_per_prompt=request.batch_size,
                      generator=generators, callback_on_step_end=self._on_step,
                      output_type="pil").images

    def _model_names(self) -> tuple[str | None, str | None]:
        ck = self.current
        return (ck.shorthash, ck.stem) if ck else (None, None)

    def _denoising(self, request: Txt2Img, job: Img2Img | None) -> float | None:
        return job.denoising if job else request.hires.denoising if request.hires else None

    def _vae_hash(self) -> str | None:
        return self._hashes.get(self.vae_file)[:10] if self.vae_file else None

    def _info(self, request: Txt2Img, choice: samplers.Choice, seeds: list[int],
              subseeds: list[int], infotexts: list[str], extra: dict,
              job: Img2Img | None = None) -> dict:
        ck = self.current
        count = len(seeds)
        return {
            "prompt": request.prompt, "all_prompts": [request.prompt] * count,
            "negative_prompt": request.negative_prompt,
            "all_negative_prompts": [request.negative_prompt] * count,
            "seed": seeds[0] if seeds else request.seed, "all_seeds": seeds,
            "subseed": subseeds[0] if subseeds else request.subseed, "all_subseeds": subseeds,
            "subseed_strength": request.subseed_strength,
            "width": request.width, "height": request.height, "sampler_name": choice.sampler.name,
            "cfg_scale": request.cfg_scale, "steps": request.steps, "batch_size": request.batch_size,
            "restore_faces": request.face_restorer is not None,
            "face_restoration_model": request.face_restorer,
            "sd_model_name": ck.stem if ck else None, "sd_model_hash": ck.shorthash if ck else None,
            "sd_vae_name": self.vae_file.stem if self.vae_file else None,
            "sd_vae_hash": self._vae_hash(), "seed_resize_from_w": request.seed_resize_from[0],
            "seed_resize_from_h": request.seed_resize_from[1],
            "denoising_strength": self._denoising(request, job),
            "extra_generation_params": {k: v for k, v in {
                "Schedule type": choice.schedule_label, **extra}.items() if v is not None},
            "index_of_first_image": 0, "infotexts": infotexts, "styles": list(request.styles),
            "job_timestamp": self.state.job_timestamp, "clip_skip": request.clip_skip,
            "is_using_inpainting_conditioning": bool(job and self.config.inpainting), "version": VERSION,
        }

