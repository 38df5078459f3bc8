"""A1111 sampler and schedule-type names, and the diffusers scheduler settings each maps to.

Resolution follows A1111 1.10's ``get_sampler_and_scheduler`` (a1111-compat.md §4.1) but is more
lenient: names match case-insensitively and k-diffusion aliases (``k_euler_a``) are accepted.
Samplers diffusers cannot reproduce (DPM fast/adaptive, Restart, DDIM CFG++) are not offered; a
request for one falls back to the first sampler, as A1111 does for any unknown name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LINSPACE = {"timestep_spacing": "linspace"}


@dataclass(frozen=True)
class Sampler:
    name: str
    aliases: tuple[str, ...]
    scheduler: str                       # diffusers class name
    settings: dict[str, Any] = field(default_factory=dict)
    default_schedule: str = "automatic"  # what "Automatic" means for this sampler
    sigma_options: bool = True           # accepts use_karras_sigmas & co.


@dataclass(frozen=True)
class Schedule:
    name: str
    label: str
    aliases: tuple[str, ...] = ()
    default_rho: float = -1
    settings: dict[str, Any] | None = None  # None: diffusers has no equivalent


_DPMPP = {"algorithm_type": "dpmsolver++", "solver_order": 2, "final_sigmas_type": "zero", **LINSPACE}
_SDE = {"algorithm_type": "sde-dpmsolver++", "solver_order": 2, "final_sigmas_type": "zero", **LINSPACE}

# In A1111 1.10's order: the first entry is what unknown names become.
SAMPLERS: tuple[Sampler, ...] = (
    Sampler("DPM++ 2M", ("k_dpmpp_2m",), "DPMSolverMultistepScheduler", _DPMPP, "karras"),
    # diffusers' DPMSolverSDEScheduler needs torchsde; the multistep SDE solver is the near match.
    Sampler("DPM++ SDE", ("k_dpmpp_sde",), "DPMSolverMultistepScheduler", _SDE, "karras"),
    Sampler("DPM++ 2M SDE", ("k_dpmpp_2m_sde",), "DPMSolverMultistepScheduler", _SDE, "exponential"),
    Sampler("DPM++ 2M SDE Heun", ("k_dpmpp_2m_sde_heun",), "DPMSolverMultistepScheduler",
            {**_SDE, "solver_type": "heun"}, "exponential"),
    Sampler("DPM++ 2S a", ("k_dpmpp_2s_a",), "DPMSolverSinglestepScheduler", LINSPACE, "karras"),
    Sampler("DPM++ 3M SDE", ("k_dpmpp_3m_sde",), "DPMSolverMultistepScheduler",
            {**_SDE, "solver_order": 3}, "exponential"),
    Sampler("Euler a", ("k_euler_a", "k_euler_ancestral"), "EulerAncestralDiscreteScheduler",
            LINSPACE, sigma_options=False),
    Sampler("Euler", ("k_euler",), "EulerDiscreteScheduler", {**LINSPACE, "final_sigmas_type": "zero"}),
    Sampler("LMS", ("k_lms",), "LMSDiscreteScheduler", LINSPACE),
    Sampler("Heun", ("k_heun",), "HeunDiscreteScheduler", LINSPACE),
    Sampler("DPM2", ("k_dpm_2",), "KDPM2DiscreteScheduler", LINSPACE, "karras"),
    Sampler("DPM2 a", ("k_dpm_2_a",), "KDPM2AncestralDiscreteScheduler", LINSPACE, "karras"),
    Sampler("DDIM", ("ddim",), "DDIMScheduler",
            {"timestep_spacing": "leading", "set_alpha_to_one": False, "steps_offset": 1},
            sigma_options=False),
    Sampler("PLMS", ("plms",), "PNDMScheduler", {"skip_prk_steps": True}, sigma_options=False),
    Sampler("UniPC", ("unipc",), "UniPCMultistepScheduler", LINSPACE),
    Sampler("LCM", ("k_lcm",), "LCMScheduler", {}, sigma_options=False),
)

SCHEDULES: tuple[Schedule, ...] = (
    Schedule("automatic", "Automatic", settings={}),
    Schedule("uniform", "Uniform", settings=LINSPACE),
    Schedule("karras", "Karras", default_rho=7.0, settings={"use_karras_sigmas": True}),
    Schedule("exponential", "Exponential", settings={"use_exponential_sigmas": True}),
    Schedule("polyexponential", "Polyexponential", default_rho=1.0),
    Schedule("sgm_uniform", "SGM Uniform", ("SGMUniform",), settings={"timestep_spacing": "trailing"}),
    Schedule("kl_optimal", "KL Optimal"),
    Schedule("align_your_steps", "Align Your Steps"),
    Schedule("simple", "Simple", settings={"timestep_spacing": "trailing"}),
    Schedule("normal", "Normal", settings=LINSPACE),
    Schedule("ddim", "DDIM", settings={"timestep_spacing": "leading"}),
    Schedule("beta", "Beta", settings={"use_beta_sigmas": True}),  # needs scipy
)

_SIGMA_FLAGS = ("use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas")


@dataclass(frozen=True)
class Choice:
    sampler: Sampler
    schedule: Schedule       # never "automatic": resolved to the sampler's default
    exact: bool              # False when a name was unknown or unsupported and a fallback was used

    @property
    def schedule_label(self) -> str | None:
        """The ``Schedule type`` infotext value; None when it is the sampler's own default."""
        return None if self.schedule.name == self.sampler.default_schedule else self.schedule.label


def _key(text: str) -> str:
    return text.strip().lower()


_BY_SAMPLER = {_key(n): s for s in SAMPLERS for n in (s.name, *s.aliases)}
_BY_SCHEDULE = {_key(n): s for s in SCHEDULES for n in (s.name, s.label, *s.aliases)}


def resolve(sampler_name: str | None, scheduler: str | None) -> Choice:
    """Split "DPM++ 2M Karras"-style names and resolve both parts, falling back like A1111."""
    name = _key(sampler_name or SAMPLERS[0].name)
    schedule = _BY_SCHEDULE.get(_key(scheduler or "automatic"))
    exact = scheduler is None or schedule is not None
    if name not in _BY_SAMPLER:
        for key, candidate in sorted(_BY_SCHEDULE.items(), key=lambda kv: -len(kv[0])):
            if key != "automatic" and name.endswith(" " + key) and name[:-len(key) - 1] in _BY_SAMPLER:
                name, schedule = name[:-len(key) - 1], candidate
                break
    sampler = _BY_SAMPLER.get(name)
    if sampler is None:
        sampler, exact = SAMPLERS[0], False
    if schedule is None or schedule.name == "automatic":
        schedule = _BY_SCHEDULE[sampler.default_schedule]
    if schedule.settings is None or (not sampler.sigma_options and schedule.name != sampler.default_schedule
                                     and any(k in schedule.settings for k in _SIGMA_FLAGS)):
        schedule, exact = _BY_SCHEDULE[sampler.default_schedule], False
    return Choice(sampler, schedule, exact)


def scheduler_settings(choice: Choice) -> tuple[str, dict[str, Any]]:
    """The diffusers scheduler class and the overrides to apply to the model's own config."""
    settings = {**choice.sampler.settings, **(choice.schedule.settings or {})}
    if choice.sampler.sigma_options:
        for flag in _SIGMA_FLAGS:
            settings.setdefault(flag, False)
    return choice.sampler.scheduler, settings


def api_samplers() -> list[dict]:
    return [{"name": s.name, "aliases": list(s.aliases), "options": {}} for s in SAMPLERS]


def api_schedulers() -> list[dict]:
    return [{"name": s.name, "label": s.label, "aliases": list(s.aliases) or None,
             "default_rho": s.default_rho, "need_inner_model": False} for s in SCHEDULES]
