"""A1111's k-diffusion samplers, run inside a diffusers pipeline as a scheduler.

Each sampler is a generator written the way k-diffusion writes it (Karras et al. ODE form over
sigmas): it ``yield``s ``(x, sigma)`` whenever it needs the model and receives the denoised
latents back. :class:`KDiffusionScheduler` drives it from the pipeline's loop, one model call per
loop step, so the pipelines keep doing prompt conditioning, CFG, inpainting channels and decoding.
The maths follows k-diffusion ``sampling.py`` and A1111's ``sd_samplers_extra.py`` (Restart).

Noise for the ancestral/SDE samplers comes from the per-image generators the pipeline passes to
``step`` (A1111's "GPU" RNG continues the seed's generator after the initial noise; ENSD reseeds
it), Gaussian like A1111's ``randn_like`` (the Brownian-tree sampler A1111 uses for the SDE
samplers needs torchsde and only changes which Gaussian noise is drawn).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.schedulers.scheduling_utils import SchedulerMixin, SchedulerOutput
from diffusers.utils.torch_utils import randn_tensor

from webui.sigmas import ModelSigmas, karras, schedule_sigmas

Request = Generator[tuple[torch.Tensor, float], torch.Tensor, torch.Tensor]


@dataclass
class Context:
    noise: Callable[[torch.Tensor], torch.Tensor]
    eta: float = 1.0
    s_noise: float = 1.0
    solver_type: str = "midpoint"
    model: ModelSigmas | None = None
    full_range: bool = True          # txt2img: DPM fast spans the model's whole sigma range
    extra: dict = field(default_factory=dict)


def _to_d(x, sigma, denoised):
    return (x - denoised) / sigma


def _ancestral(sigma_from: float, sigma_to: float, eta: float) -> tuple[float, float]:
    if not eta:
        return sigma_to, 0.0
    up = min(sigma_to, eta * (sigma_to ** 2 * (sigma_from ** 2 - sigma_to ** 2) / sigma_from ** 2) ** 0.5)
    return (sigma_to ** 2 - up ** 2) ** 0.5, up


def _log_mid(a: float, b: float) -> float:
    return math.exp((math.log(a) + math.log(b)) / 2)


def euler(x, sigmas, ctx: Context) -> Request:
    for i in range(len(sigmas) - 1):
        denoised = yield x, sigmas[i]
        x = x + _to_d(x, sigmas[i], denoised) * (sigmas[i + 1] - sigmas[i])
    return x


def euler_ancestral(x, sigmas, ctx: Context) -> Request:
    for i in range(len(sigmas) - 1):
        denoised = yield x, sigmas[i]
        down, up = _ancestral(sigmas[i], sigmas[i + 1], ctx.eta)
        x = x + _to_d(x, sigmas[i], denoised) * (down - sigmas[i])
        if sigmas[i + 1] > 0:
            x = x + ctx.noise(x) * ctx.s_noise * up
    return x


def heun(x, sigmas, ctx: Context) -> Request:
    for i in range(len(sigmas) - 1):
        denoised = yield x, sigmas[i]
        d = _to_d(x, sigmas[i], denoised)
        dt = sigmas[i + 1] - sigmas[i]
        if sigmas[i + 1] == 0:
            x = x + d * dt
            continue
        x_2 = x + d * dt
        denoised_2 = yield x_2, sigmas[i + 1]
        x = x + (d + _to_d(x_2, sigmas[i + 1], denoised_2)) / 2 * dt
    return x


def dpm_2(x, sigmas, ctx: Context) -> Request:
    for i in range(len(sigmas) - 1):
        denoised = yield x, sigmas[i]
        d = _to_d(x, sigmas[i], denoised)
        if sigmas[i + 1] == 0:
            x = x + d * (sigmas[i + 1] - sigmas[i])
            continue
        mid = _log_mid(sigmas[i], sigmas[i + 1])
        x_2 = x + d * (mid - sigmas[i])
        denoised_2 = yield x_2, mid
        x = x + _to_d(x_2, mid, denoised_2) * (sigmas[i + 1] - sigmas[i])
    return x


def dpm_2_ancestral(x, sigmas, ctx: Context) -> Request:
    for i in range(len(sigmas) - 1):
        denoised = yield x, sigmas[i]
        down, up = _ancestral(sigmas[i], sigmas[i + 1], ctx.eta)
        d = _to_d(x, sigmas[i], denoised)
        if down == 0:
            x = x + d * (down - sigmas[i])
        else:
            mid = _log_mid(sigmas[i], down)
            x_2 = x + d * (mid - sigmas[i])
            denoised_2 = yield x_2, mid
            x = x + _to_d(x_2, mid, denoised_2) * (down - sigmas[i])
            x = x + ctx.noise(x) * ctx.s_noise * up
    return x


def _lms_coefficient(order: int, t: list[float], i: int, j: int) -> float:
    from scipy import integrate

    def basis(tau):
        product = 1.0
        for k in range(order):
            if j != k:
                product *= (tau - t[i - k]) / (t[i - j] - t[i - k])
        return product

    return integrate.quad(basis, t[i], t[i + 1], epsrel=1e-4)[0]


def lms(x, sigmas, ctx: Context, order: int = 4) -> Request:
    derivatives = []
    for i in range(len(sigmas) - 1):
        denoised = yield x, sigmas[i]
        derivatives = [*derivatives, _to_d(x, sigmas[i], denoised)][-order:]
        current = min(i + 1, order)
        coefficients = [_lms_coefficient(current, sigmas, i, j) for j in range(current)]
        x = x + sum(c * d for c, d in zip(coefficients, reversed(derivatives)))
    return x


def _t(sigma: float) -> float:
    return -math.log(sigma)


def _sigma(t: float) -> float:
    return math.exp(-t)


def dpmpp_2s_ancestral(x, sigmas, ctx: Context) -> Request:
    for i in range(len(sigmas) - 1):
        denoised = yield x, sigmas[i]
        down, up = _ancestral(sigmas[i], sigmas[i + 1], ctx.eta)
        if down == 0:
            x = x + _to_d(x, sigmas[i], denoised) * (down - sigmas[i])
        else:
            t, t_next = _t(sigmas[i]), _t(down)
            h = t_next - t
            s = t + h / 2
            x_2 = (_sigma(s) / _sigma(t)) * x - math.expm1(-h / 2) * denoised
            denoised_2 = yield x_2, _sigma(s)
            x = (_sigma(t_next) / _sigma(t)) * x - math.expm1(-h) * denoised_2
        if sigmas[i + 1] > 0:
            x = x + ctx.noise(x) * ctx.s_noise * up
    return x


def dpmpp_sde(x, sigmas, ctx: Context, r: float = 0.5) -> Request:
    for i in range(len(sigmas) - 1):
        denoised = yield x, sigmas[i]
        if sigmas[i + 1] == 0:
            x = x + _to_d(x, sigmas[i], denoised) * (sigmas[i + 1] - sigmas[i])
            continue
        t, t_next = _t(sigmas[i]), _t(sigmas[i + 1])
        h = t_next - t
        s = t + h * r
        fac = 1 / (2 * r)
        down, up = _ancestral(_sigma(t), _sigma(s), ctx.eta)
        s_ = _t(down)
        x_2 = (_sigma(s_) / _sigma(t)) * x - math.expm1(t - s_) * denoised
        x_2 = x_2 + ctx.noise(x) * ctx.s_noise * up
        denoised_2 = yield x_2, _sigma(s)
        down, up = _ancestral(_sigma(t), _sigma(t_next), ctx.eta)
        t_next_ = _t(down)
        mixed = (1 - fac) * denoised + fac * denoised_2
        x = (_sigma(t_next_) / _sigma(t)) * x - math.expm1(t - t_next_) * mixed
        x = x + ctx.noise(x) * ctx.s_noise * up
    return x


def dpmpp_2m(x, sigmas, ctx: Context) -> Request:
    old = None
    for i in range(len(sigmas) - 1):
        denoised = yield x, sigmas[i]
        t, t_next = _t(sigmas[i]), _t(sigmas[i + 1]) if sigmas[i + 1] > 0 else math.inf
        h = t_next - t
        if old is None or sigmas[i + 1] == 0:
            blended = denoised
        else:
            r = (t - _t(sigmas[i - 1])) / h
            blended = (1 + 1 / (2 * r)) * denoised - (1 / (2 * r)) * old
        x = (sigmas[i + 1] / sigmas[i]) * x - math.expm1(-h) * blended
        old = denoised
    return x


def dpmpp_2m_sde(x, sigmas, ctx: Context) -> Request:
    old, h_last = None, None
    for i in range(len(sigmas) - 1):
        denoised = yield x, sigmas[i]
        if sigmas[i + 1] == 0:
            x = denoised
        else:
            h = _t(sigmas[i + 1]) - _t(sigmas[i])
            eta_h = ctx.eta * h
            x = sigmas[i + 1] / sigmas[i] * math.exp(-eta_h) * x + -math.expm1(-h - eta_h) * denoised
            if old is not None:
                r = h_last / h
                if ctx.solver_type == "heun":
                    x = x + (-math.expm1(-h - eta_h) / (-h - eta_h) + 1) * (1 / r) * (denoised - old)
                else:
                    x = x + 0.5 * -math.expm1(-h - eta_h) * (1 / r) * (denoised - old)
            if ctx.eta:
                x = x + ctx.noise(x) * sigmas[i + 1] * (-math.expm1(-2 * eta_h)) ** 0.5 * ctx.s_noise
            h_last = h
        old = denoised
    return x


def dpmpp_3m_sde(x, sigmas, ctx: Context) -> Request:
    d_1 = d_2 = None
    h_1 = h_2 = None
    for i in range(len(sigmas) - 1):
        denoised = yield x, sigmas[i]
        if sigmas[i + 1] == 0:
            x = denoised
        else:
            h = _t(sigmas[i + 1]) - _t(sigmas[i])
            h_eta = h * (ctx.eta + 1)
            x = math.exp(-h_eta) * x + -math.expm1(-h_eta) * denoised
            phi_2 = math.expm1(-h_eta) / h_eta + 1
            if h_2 is not None:
                r0, r1 = h_1 / h, h_2 / h
                d1_0, d1_1 = (denoised - d_1) / r0, (d_1 - d_2) / r1
                d1 = d1_0 + (d1_0 - d1_1) * r0 / (r0 + r1)
                d2 = (d1_0 - d1_1) / (r0 + r1)
                x = x + phi_2 * d1 - (phi_2 / h_eta - 0.5) * d2
            elif h_1 is not None:
                x = x + phi_2 * (denoised - d_1) / (h_1 / h)
            if ctx.eta:
                x = x + ctx.noise(x) * sigmas[i + 1] * (-math.expm1(-2 * h * ctx.eta)) ** 0.5 * ctx.s_noise
            h_1, h_2 = h, h_1
        d_1, d_2 = denoised, d_1
    return x


def dpm_fast(x, sigmas, ctx: Context) -> Request:
    """DPM-Solver with orders 3…1 at evenly spaced log-sigma; as many model calls as steps."""
    nfe = len(sigmas) - 1
    if ctx.full_range and ctx.model is not None:
        sigma_min, sigma_max = ctx.model.sigma_min, ctx.model.sigma_max
    else:
        sigma_min, sigma_max = sigmas[-2], sigmas[0]
    m = nfe // 3 + 1
    ts = [_t(sigma_max) + (_t(sigma_min) - _t(sigma_max)) * k / m for k in range(m + 1)]
    orders = [3] * (m - 2) + [2, 1] if nfe % 3 == 0 else [3] * (m - 1) + [nfe % 3]

    def eps(x_, t_):
        denoised = yield x_, _sigma(t_)
        return (x_ - denoised) / _sigma(t_)

    for i, order in enumerate(orders):
        t, t_next = ts[i], ts[i + 1]
        down, _ = _ancestral(_sigma(t), _sigma(t_next), ctx.eta)
        t_next_ = min(t_next, _t(down)) if ctx.eta else t_next
        up = (_sigma(t_next) ** 2 - _sigma(t_next_) ** 2) ** 0.5 if ctx.eta else 0.0
        h = t_next_ - t
        e = yield from eps(x, t)
        if order == 1:
            x = x - _sigma(t_next_) * math.expm1(h) * e
        elif order == 2:
            s1 = t + h / 2
            u1 = x - _sigma(s1) * math.expm1(h / 2) * e
            e1 = yield from eps(u1, s1)
            x = x - _sigma(t_next_) * math.expm1(h) * e - _sigma(t_next_) * math.expm1(h) * (e1 - e)
        else:
            r1, r2 = 1 / 3, 2 / 3
            s1, s2 = t + r1 * h, t + r2 * h
            u1 = x - _sigma(s1) * math.expm1(r1 * h) * e
            e1 = yield from eps(u1, s1)
            u2 = (x - _sigma(s2) * math.expm1(r2 * h) * e
                  - _sigma(s2) * (r2 / r1) * (math.expm1(r2 * h) / (r2 * h) - 1) * (e1 - e))
            e2 = yield from eps(u2, s2)
            x = x - _sigma(t_next_) * math.expm1(h) * e - _sigma(t_next_) / r2 * (math.expm1(h) / h - 1) * (e2 - e)
        if up:
            x = x + ctx.noise(x) * ctx.s_noise * up
    return x


def _restart_steps(sigmas: list[float], model: ModelSigmas | None) -> list[tuple[float, float]]:
    """A1111's Restart plan: Karras steps, then from step 20 on one or two restarts near sigma 0.1."""
    steps = len(sigmas) - 1
    restarts: dict[float, tuple[int, int, float]] = {}
    if steps >= 20:
        restart_steps, restart_times = (steps // 4, 2) if steps >= 36 else (9, 1)
        bounds = ModelSigmas(torch.tensor([sigmas[-2], sigmas[0]]))
        sigmas = karras(steps - restart_steps * restart_times, bounds, "").tolist()
        restarts = {0.1: (restart_steps + 1, restart_times, 2.0)}
    tensor = torch.tensor(sigmas)

    def nearest(value: float) -> int:
        return int(torch.argmin((tensor - value).abs()))

    by_index = {nearest(key): value for key, value in restarts.items()}
    plan = []
    for i in range(len(sigmas) - 1):
        plan.append((sigmas[i], sigmas[i + 1]))
        if i + 1 in by_index:
            count, times, sigma_max = by_index[i + 1]
            low, high = i + 1, nearest(sigma_max)
            if high < low:
                bounds = ModelSigmas(torch.tensor([sigmas[low], sigmas[high]]))
                restart = karras(count, bounds, "").tolist()[:-1]
                plan.extend(list(zip(restart[:-1], restart[1:])) * times)
    return plan


def restart(x, sigmas, ctx: Context) -> Request:
    last = None
    for old, new in _restart_steps(list(sigmas), ctx.model):
        if last is not None and last < old:
            x = x + ctx.noise(x) * ctx.s_noise * (old ** 2 - last ** 2) ** 0.5
        denoised = yield x, old
        d = _to_d(x, old, denoised)
        if new == 0:
            x = x + d * (new - old)
        else:
            x_2 = x + d * (new - old)
            denoised_2 = yield x_2, new
            x = x + (d + _to_d(x_2, new, denoised_2)) / 2 * (new - old)
        last = new
    return x


SAMPLERS: dict[str, Callable[..., Request]] = {
    "euler": euler, "euler_ancestral": euler_ancestral, "heun": heun, "dpm_2": dpm_2,
    "dpm_2_ancestral": dpm_2_ancestral, "lms": lms, "dpmpp_2s_ancestral": dpmpp_2s_ancestral,
    "dpmpp_sde": dpmpp_sde, "dpmpp_2m": dpmpp_2m, "dpmpp_2m_sde": dpmpp_2m_sde,
    "dpmpp_3m_sde": dpmpp_3m_sde, "dpm_fast": dpm_fast, "restart": restart,
}
# Samplers whose k-diffusion function takes ``eta`` (A1111 writes ``Eta`` when it is not 1).
WITH_ETA = frozenset({"euler_ancestral", "dpm_2_ancestral", "dpmpp_2s_ancestral", "dpmpp_sde",
                      "dpmpp_2m_sde", "dpmpp_3m_sde", "dpm_fast"})


def model_calls(sampler: str, sigmas: list[float], ctx: Context) -> list[float]:
    """The sigma of every model call ``sampler`` will make, found by a dry run on a 1-pixel latent."""
    dry = Context(noise=torch.zeros_like, eta=ctx.eta, s_noise=ctx.s_noise, solver_type=ctx.solver_type,
                  model=ctx.model, full_range=ctx.full_range)
    run = SAMPLERS[sampler](torch.zeros(1, 1, 1, 1), sigmas, dry)
    calls = []
    try:
        x, sigma = next(run)
        while True:
            calls.append(float(sigma))
            x, sigma = run.send(torch.zeros_like(x))
    except StopIteration:
        return calls


class KDiffusionScheduler(SchedulerMixin, ConfigMixin):
    """A diffusers scheduler whose ``timesteps`` are the model calls of one k-diffusion sampler.

    ``scale_model_input`` applies k-diffusion's ``c_in``; ``step`` turns the model output into the
    denoised latents (epsilon or v prediction, ``CompVisDenoiser``/``CompVisVDenoiser``) and returns
    the latents of the sampler's next model call, or the result after the last one.
    For img2img, ``strength`` and ``run_steps`` say how the pipeline slices the timesteps and how
    many of the schedule's last steps to run (A1111's ``sigmas[steps - t_enc - 1:]``).
    """

    order = 1
    config_name = "scheduler_config.json"

    @register_to_config
    def __init__(self, num_train_timesteps: int = 1000, beta_start: float = 0.00085,
                 beta_end: float = 0.012, beta_schedule: str = "scaled_linear",
                 trained_betas=None, prediction_type: str = "epsilon",
                 rescale_betas_zero_snr: bool = False, sampler: str = "euler", schedule: str = "",
                 family: str = "sd1", discard_penultimate: bool = False, solver_type: str = "midpoint",
                 eta: float = 1.0, s_noise: float = 1.0, strength: float = 1.0, run_steps: int = 0):
        from diffusers import EulerDiscreteScheduler

        reference = EulerDiscreteScheduler(
            num_train_timesteps=num_train_timesteps, beta_start=beta_start, beta_end=beta_end,
            beta_schedule=beta_schedule, trained_betas=trained_betas,
            rescale_betas_zero_snr=rescale_betas_zero_snr)
        self.model = ModelSigmas.from_alphas_cumprod(reference.alphas_cumprod.clamp(min=2 ** -24))
        self.sigmas_run = torch.tensor([1.0, 0.0])
        self.calls: list[float] = []
        self.timesteps = torch.tensor([])
        self.num_inference_steps = 0
        self._run: Request | None = None
        self._pending: torch.Tensor | None = None
        self._index = 0
        self._generator = None

    @property
    def init_noise_sigma(self) -> float:
        return float(self.sigmas_run[0])

    def _context(self) -> Context:
        c = self.config
        return Context(noise=self._noise, eta=c.eta if c.sampler in WITH_ETA else 0.0,
                       s_noise=c.s_noise, solver_type=c.solver_type, model=self.model,
                       full_range=c.strength >= 1.0 and not c.run_steps)

    def set_timesteps(self, num_inference_steps: int, device=None, **_) -> None:
        c = self.config
        sigmas = schedule_sigmas(c.schedule, num_inference_steps, self.model, c.family,
                                 c.discard_penultimate)
        if c.run_steps:
            sigmas = sigmas[-(c.run_steps + 1):]
        self.sigmas_run = sigmas
        self.calls = model_calls(c.sampler, sigmas.tolist(), self._context())
        # The img2img pipelines drop the first ``n - int(n·strength)`` entries: pad for them.
        skipped = num_inference_steps - min(int(num_inference_steps * c.strength), num_inference_steps)
        ts = self.model.sigma_to_t(torch.tensor(self.calls)) if self.calls else torch.tensor([])
        self.timesteps = torch.cat([torch.zeros(skipped), ts]).to(device or "cpu")
        self.num_inference_steps = num_inference_steps
        self._run, self._index = None, 0

    def _sigma_now(self) -> float:
        return self.calls[min(self._index, len(self.calls) - 1)]

    def scale_model_input(self, sample: torch.Tensor, timestep=None) -> torch.Tensor:
        return sample / (self._sigma_now() ** 2 + 1) ** 0.5

    def add_noise(self, original, noise, timesteps) -> torch.Tensor:
        return original + noise * float(self.sigmas_run[0])

    def _noise(self, like: torch.Tensor) -> torch.Tensor:
        generator = self._generator
        if isinstance(generator, list) and len(generator) != like.shape[0]:
            generator = None
        return randn_tensor(like.shape, generator=generator, device=like.device, dtype=like.dtype)

    def _denoised(self, output: torch.Tensor, sample: torch.Tensor, sigma: float) -> torch.Tensor:
        if self.config.prediction_type == "v_prediction":
            return sample / (sigma ** 2 + 1) - output * sigma / (sigma ** 2 + 1) ** 0.5
        return sample - output * sigma

    def step(self, model_output, timestep, sample, generator=None, return_dict: bool = True, **_):
        # The sampler runs in float32 on its own latents, as k-diffusion does under A1111.
        self._generator = generator
        if self._run is None:
            self._run = SAMPLERS[self.config.sampler](sample.float(), self.sigmas_run.tolist(),
                                                      self._context())
            self._pending, _ = next(self._run)
        denoised = self._denoised(model_output.float(), self._pending, self._sigma_now())
        self._index += 1
        try:
            self._pending, _ = self._run.send(denoised)
            following = self._pending
        except StopIteration as done:
            following = done.value
        following = following.to(sample.dtype)
        return SchedulerOutput(prev_sample=following) if return_dict else (following,)

    def __len__(self) -> int:
        return self.config.num_train_timesteps
