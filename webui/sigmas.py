"""Noise levels: the model's discrete sigmas and A1111 1.10's schedule types over them.

The maths follows k-diffusion's ``DiscreteSchedule`` (``sigma_to_t``/``t_to_sigma`` interpolate
log-sigma between the model's training timesteps) and A1111's ``sd_schedulers.py``; every
schedule returns ``n + 1`` decreasing sigmas ending at 0 (KL Optimal ends at sigma_min, as there).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ModelSigmas:
    """The sigma of each training timestep, ascending (``sqrt((1 - ᾱ) / ᾱ)``)."""

    sigmas: torch.Tensor

    @classmethod
    def from_alphas_cumprod(cls, alphas_cumprod: torch.Tensor) -> ModelSigmas:
        return cls(((1 - alphas_cumprod) / alphas_cumprod).sqrt().float())

    @property
    def log_sigmas(self) -> torch.Tensor:
        return self.sigmas.log()

    @property
    def sigma_min(self) -> float:
        return float(self.sigmas[0])

    @property
    def sigma_max(self) -> float:
        return float(self.sigmas[-1])

    def sigma_to_t(self, sigma: torch.Tensor) -> torch.Tensor:
        log_sigmas = self.log_sigmas
        log_sigma = sigma.float().log()
        dists = log_sigma - log_sigmas[:, None]
        low = dists.ge(0).cumsum(dim=0).argmax(dim=0).clamp(max=log_sigmas.shape[0] - 2)
        high = low + 1
        w = ((log_sigmas[low] - log_sigma) / (log_sigmas[low] - log_sigmas[high])).clamp(0, 1)
        return ((1 - w) * low + w * high).view(sigma.shape)

    def t_to_sigma(self, t: torch.Tensor) -> torch.Tensor:
        t = t.float()
        low, high, w = t.floor().long(), t.ceil().long(), t.frac()
        return ((1 - w) * self.log_sigmas[low] + w * self.log_sigmas[high]).exp()


def _zero_ended(sigmas) -> torch.Tensor:
    sigmas = torch.as_tensor(sigmas, dtype=torch.float32)
    return torch.cat([sigmas, sigmas.new_zeros([1])])


def uniform(n: int, m: ModelSigmas, family: str) -> torch.Tensor:
    return _zero_ended(m.t_to_sigma(torch.linspace(len(m.sigmas) - 1, 0, n)))


def karras(n: int, m: ModelSigmas, family: str, rho: float = 7.0) -> torch.Tensor:
    ramp = torch.linspace(0, 1, n)
    low, high = m.sigma_min ** (1 / rho), m.sigma_max ** (1 / rho)
    return _zero_ended((high + ramp * (low - high)) ** rho)


def exponential(n: int, m: ModelSigmas, family: str) -> torch.Tensor:
    return _zero_ended(torch.linspace(math.log(m.sigma_max), math.log(m.sigma_min), n).exp())


def polyexponential(n: int, m: ModelSigmas, family: str, rho: float = 1.0) -> torch.Tensor:
    ramp = torch.linspace(1, 0, n) ** rho
    low, high = math.log(m.sigma_min), math.log(m.sigma_max)
    return _zero_ended((ramp * (high - low) + low).exp())


def _normal(n: int, m: ModelSigmas, sgm: bool) -> torch.Tensor:
    start = m.sigma_to_t(torch.tensor(m.sigma_max))
    end = m.sigma_to_t(torch.tensor(m.sigma_min))
    ts = torch.linspace(float(start), float(end), n + 1)[:-1] if sgm else \
        torch.linspace(float(start), float(end), n)
    return _zero_ended(torch.stack([m.t_to_sigma(t) for t in ts]))


def normal(n: int, m: ModelSigmas, family: str) -> torch.Tensor:
    return _normal(n, m, sgm=False)


def sgm_uniform(n: int, m: ModelSigmas, family: str) -> torch.Tensor:
    return _normal(n, m, sgm=True)


def kl_optimal(n: int, m: ModelSigmas, family: str) -> torch.Tensor:
    low, high = math.atan(m.sigma_min), math.atan(m.sigma_max)
    fraction = torch.arange(n + 1) / n
    return torch.tan(fraction * low + (1.0 - fraction) * high).float()


def align_your_steps(n: int, m: ModelSigmas, family: str) -> torch.Tensor:
    """NVIDIA's published 10-step sigmas, log-linearly resampled to ``n`` steps."""
    import numpy as np
    from diffusers.schedulers import AysSchedules

    table = AysSchedules["StableDiffusionXLSigmas" if family == "sdxl" else "StableDiffusionSigmas"]
    reference = [float(s) for s in table if s > 0]
    if n == len(reference):
        return _zero_ended(reference)
    xs = np.linspace(0, 1, len(reference))
    ys = np.log(reference[::-1])
    resampled = np.exp(np.interp(np.linspace(0, 1, n), xs, ys))[::-1].copy()
    return _zero_ended(resampled)


def simple(n: int, m: ModelSigmas, family: str) -> torch.Tensor:
    stride = len(m.sigmas) / n
    return _zero_ended([float(m.sigmas[-(1 + int(x * stride))]) for x in range(n)])


def ddim(n: int, m: ModelSigmas, family: str) -> torch.Tensor:
    stride = max(len(m.sigmas) // n, 1)
    picked = [float(m.sigmas[x]) for x in range(1, len(m.sigmas), stride)]
    return _zero_ended(picked[::-1])


BETA_ALPHA = BETA_BETA = 0.6  # A1111's beta_dist_alpha / beta_dist_beta defaults


def beta(n: int, m: ModelSigmas, family: str) -> torch.Tensor:
    import numpy as np
    from scipy import stats

    fractions = [stats.beta.ppf(x, BETA_ALPHA, BETA_BETA) for x in 1 - np.linspace(0, 1, n)]
    return _zero_ended([m.sigma_min + f * (m.sigma_max - m.sigma_min) for f in fractions])


SCHEDULE_FUNCTIONS: dict[str, Callable[..., torch.Tensor]] = {
    "uniform": uniform, "karras": karras, "exponential": exponential,
    "polyexponential": polyexponential, "sgm_uniform": sgm_uniform, "kl_optimal": kl_optimal,
    "align_your_steps": align_your_steps, "simple": simple, "normal": normal, "ddim": ddim,
    "beta": beta,
}


def schedule_sigmas(name: str, n: int, m: ModelSigmas, family: str,
                    discard_penultimate: bool = False) -> torch.Tensor:
    """``n`` steps of schedule ``name`` (``""``: the model's own, A1111's Automatic fallback)."""
    steps = n + 1 if discard_penultimate else n
    sigmas = SCHEDULE_FUNCTIONS.get(name, uniform)(steps, m, family)
    if discard_penultimate:
        sigmas = torch.cat([sigmas[:-2], sigmas[-1:]])
    return sigmas
