"""Live previews during sampling: latents projected straight to RGB, no VAE pass.

The 4×3 matrices are A1111's ``sd_vae_approx.cheap_approximation`` coefficients (a1111-compat.md
§5); they need no weights, so a preview costs a matrix product on a 64×64 latent.
"""

from __future__ import annotations

import torch
from PIL import Image

_SD = ((0.298, 0.207, 0.208), (0.187, 0.286, 0.173), (-0.158, 0.189, 0.264), (-0.184, -0.271, -0.473))
_SDXL = ((0.3448, 0.4168, 0.4395), (-0.1953, -0.0290, 0.0250), (0.1074, 0.0886, -0.0163),
         (-0.3730, -0.2499, -0.2088))


def latent_preview(latents: torch.Tensor, family: str) -> Image.Image:
    """The first image of a ``[batch, 4, h, w]`` latent as a small RGB picture."""
    coefficients = torch.tensor(_SDXL if family == "sdxl" else _SD)
    rgb = torch.einsum("lxy,lr->rxy", latents[0].detach().float().cpu(), coefficients)
    pixels = ((rgb.clamp(-1, 1) + 1) * 127.5).byte().permute(1, 2, 0).numpy()
    return Image.fromarray(pixels, "RGB")
