"""One img2img batch through diffusers: plain img2img, inpainting, outpainting.

The engine does everything txt2img does (model, prompt, LoRAs, scheduler, seeds, infotext) and
hands this module the pixels: :func:`webui.masking.prepare` has already resized, cropped and
filled them. This picks the pipeline, sharing the loaded one's modules through ``from_pipe``:

- a plain image on an ordinary checkpoint: the img2img pipeline (``int(denoise·steps)`` steps);
- a mask on an ordinary checkpoint: the inpainting pipeline, which for a 4-channel UNet blends the
  original latents back outside the mask after every step, as A1111's sampler does;
- an inpainting checkpoint (9-channel UNet): its own inpainting pipeline, with an all-white mask
  when none is given (A1111's conditioning without a mask).

Resize mode 3 and the "latent noise" / "latent nothing" fills act on the latents, so those are
encoded here and passed to the pipeline in place of the image.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from PIL import Image

from webui.img2img_params import Img2Img
from webui.masking import LATENT_NOISE, LATENT_NOTHING, Prepared, apply_overlay
from webui.resize import LATENT_UPSCALE


def inpainting_unet(pipe) -> bool:
    return pipe.unet.config.in_channels == 9


def steps_run(steps: int, denoising: float) -> int:
    """How many sampling steps diffusers' img2img runs: ``int(steps·strength)``, at least one."""
    return max(1, min(steps, int(steps * denoising)))


def _pipeline_for(pipe, masked: bool):
    from diffusers import AutoPipelineForImage2Image, AutoPipelineForInpainting

    if inpainting_unet(pipe) or masked:
        wanted = AutoPipelineForInpainting
    else:
        wanted = AutoPipelineForImage2Image
    chosen = wanted.from_pipe(pipe)
    chosen.set_progress_bar_config(disable=True)
    return chosen


def _latent_mask(mask: Image.Image, size: tuple[int, int]) -> torch.Tensor:
    """1 where the sampler repaints, at latent size, rounded as A1111 does (``mask_round``)."""
    small = np.asarray(mask.convert("L").resize(size), dtype=np.float32) / 255.0
    return torch.from_numpy(np.around(small))[None, None]


def _encode(pipe, pixels: torch.Tensor, generators: list) -> torch.Tensor:
    vae = pipe.vae
    pixels = pixels.to(vae.device, vae.dtype)
    latents = [vae.encode(pixels[i:i + 1]).latent_dist.sample(g) for i, g in enumerate(generators)]
    return torch.cat(latents) * vae.config.scaling_factor


def _latent_inputs(pipe, job: Img2Img, images: list, masks: list, generators: list) -> dict:
    """``image`` as latents (resized for mode 3, masked for latent noise/nothing) and what goes with it."""
    pixels = pipe.image_processor.preprocess(images)
    latents = _encode(pipe, pixels, generators)
    height, width = job.base.height, job.base.width
    factor = pipe.vae_scale_factor
    if job.resize_mode == LATENT_UPSCALE:
        latents = torch.nn.functional.interpolate(latents, size=(height // factor, width // factor),
                                                  mode="bilinear")
    inputs = {"image": latents}
    if not masks:
        return inputs
    repaint = torch.cat([_latent_mask(m, (width // factor, height // factor)) for m in masks])
    repaint = repaint.to(latents.device, latents.dtype)
    if job.fill == LATENT_NOISE:
        noise = torch.cat([torch.randn(latents.shape[1:], generator=g, device=g.device)[None]
                           for g in generators]).to(latents.device, latents.dtype)
        latents = latents * (1 - repaint) + noise * repaint
    elif job.fill == LATENT_NOTHING:
        latents = latents * (1 - repaint)
    inputs["image"] = latents
    if inpainting_unet(pipe):  # the UNet's extra input: the image with the repainted part blanked
        conditions = pipe.mask_processor.preprocess(masks, height=height, width=width)
        pixels = torch.nn.functional.interpolate(pixels, size=(height, width), mode="bilinear")
        inputs["masked_image_latents"] = _encode(pipe, pixels * (conditions < 0.5), generators)
    else:  # read by the pipeline only for its shape; the 4-channel UNet blends ``image``
        inputs["masked_image_latents"] = latents
    return inputs


def _scaled_noise(add_noise, multiplier: float, original, noise, timesteps):
    return add_noise(original, noise * multiplier, timesteps)


def run_batch(pipe, scheduler, job: Img2Img, prepared: list[Prepared], embeds: dict,
              batch_size: int, generators: list, on_step, restore) -> list[Image.Image]:
    """Sample ``batch_size`` images from the prepared init images; the kept pixels laid back on
    after ``restore`` (face restoration), so unmasked pixels stay as they were, as in A1111."""
    items = [prepared[i % len(prepared)] for i in range(batch_size)]
    masked = items[0].mask is not None
    second = _pipeline_for(pipe, masked)
    if job.noise_multiplier != 1.0:
        scheduler.add_noise = functools.partial(_scaled_noise, scheduler.add_noise, job.noise_multiplier)
    second.scheduler = scheduler
    images = [p.image for p in items]
    masks = [p.mask for p in items] if masked else []
    if inpainting_unet(pipe) and not masked:
        masks = [Image.new("L", (job.base.width, job.base.height), 255)] * batch_size
    if job.resize_mode == LATENT_UPSCALE or (masked and job.fill in (LATENT_NOISE, LATENT_NOTHING)):
        inputs = _latent_inputs(pipe, job, images, masks, generators)
    else:
        inputs = {"image": images}
    if masks:  # only the inpainting pipelines take a size; img2img's comes from the image
        inputs.update(mask_image=masks, height=job.base.height, width=job.base.width)
    out = second(**embeds, **inputs, strength=job.denoising, num_inference_steps=job.base.steps,
                 guidance_scale=job.base.cfg_scale, num_images_per_prompt=batch_size,
                 generator=generators, callback_on_step_end=on_step, output_type="pil")
    return [apply_overlay(restore(image), p.overlay, p.paste_to) for image, p in zip(out.images, items)]
