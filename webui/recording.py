"""What the infotext records about one image: pure decisions from the request and what ran.

Follows A1111 1.10 ``processing.create_infotext`` and the ``extra_generation_params`` its
samplers add (a1111-compat.md §8): ENSD only when the sampler draws noise with it, ``Eta`` when
not 1 for the k-diffusion samplers that take it, ``Eta DDIM`` when not 0, the Beta schedule's
parameters, hires fields first, then LoRA and embedding hashes.
"""

from __future__ import annotations

from webui import hires, samplers
from webui.infotext import Generation
from webui.params import Txt2Img


def eta(choice: samplers.Choice, request: Txt2Img) -> float:
    """The request's eta, else the option A1111 reads for this kind of sampler."""
    if request.eta is not None:
        return request.eta
    return request.settings.get("eta_ancestral" if choice.sampler.kdiffusion else "eta_ddim", 0.0)


def ensd(choice: samplers.Choice, request: Txt2Img) -> int | None:
    """``eta_noise_seed_delta`` when set and the sampler draws noise with a non-zero eta."""
    delta = int(request.settings.get("eta_noise_seed_delta") or 0)
    return delta if delta and choice.sampler.uses_ensd and eta(choice, request) != 0 else None


def _pairs(hashes: dict[str, str]) -> str | None:
    return ", ".join(f"{name}: {digest}" for name, digest in hashes.items()) or None


def extra_params(request: Txt2Img, choice: samplers.Choice, upscale: hires.HiresPlan | None,
                 lora_hashes: dict[str, str], ti_hashes: dict[str, str]) -> dict:
    """A1111's ``extra_generation_params`` in the order it fills them."""
    extra = hires.infotext_fields(request.hires, upscale) if upscale else {}
    extra.update({"Lora hashes": _pairs(lora_hashes), "TI hashes": _pairs(ti_hashes)})
    if choice.schedule.name == "beta" and choice.sampler.kdiffusion:
        extra.update({"Beta schedule alpha": request.settings.get("beta_dist_alpha", 0.6),
                      "Beta schedule beta": request.settings.get("beta_dist_beta", 0.6)})
    value = eta(choice, request)
    if choice.sampler.kdiffusion and samplers.uses_eta(choice) and value != 1.0:
        extra["Eta"] = value
    elif choice.sampler.name == "DDIM" and value != 0.0:
        extra["Eta DDIM"] = value
    return extra


def describe(request: Txt2Img, choice: samplers.Choice, seed: int, subseed: int, extra: dict,
             model: tuple[str | None, str | None] = (None, None),
             vae: tuple[str | None, str | None] = (None, None),
             version: str | None = None) -> Generation:
    """One image's :class:`Generation`; ``model`` and ``vae`` are (short hash, name)."""
    return Generation(
        steps=request.steps, sampler=choice.sampler.name, schedule_type=choice.schedule_label,
        cfg_scale=request.cfg_scale, seed=seed, width=request.width, height=request.height,
        model_hash=model[0], model=model[1], face_restoration=request.face_restorer,
        vae_hash=vae[0], vae=vae[1],
        variation_seed=subseed, variation_strength=request.subseed_strength,
        seed_resize_from=request.seed_resize_from,
        denoising_strength=request.hires.denoising if request.hires else None,
        clip_skip=request.clip_skip, ensd=ensd(choice, request), tiling=request.tiling, extra=extra,
        version=version)
