"""A1111 1.10's samplers and schedule types, how a request's names resolve, and what runs them.

The k-diffusion samplers run through :mod:`webui.ksampling` over A1111's own sigma schedules
(:mod:`webui.sigmas`), so every sampler combines with every schedule as in A1111. DDIM, PLMS,
UniPC and LCM are timestep samplers there too and run through their diffusers schedulers (they
ignore the schedule type, as in A1111). DPM adaptive (a variable number of model calls) and
DDIM CFG++ (needs the unguided prediction) cannot run inside a diffusers pipeline and are not
listed. Resolution follows ``get_sampler_and_scheduler`` (a1111-compat.md §4.1) and is more
lenient: names match case-insensitively and k-diffusion aliases (``k_euler_a``) are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sampler:
    name: str
    aliases: tuple[str, ...]
    function: str                        # a ksampling.SAMPLERS key, or a diffusers class name
    default_schedule: str = "automatic"  # A1111's options['scheduler']
    discard_penultimate: bool = False
    uses_ensd: bool = False
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def kdiffusion(self) -> bool:
        return not self.function[0].isupper()


@dataclass(frozen=True)
class Schedule:
    name: str
    label: str
    aliases: tuple[str, ...] = ()
    default_rho: float = -1
    need_inner_model: bool = False


# In A1111 1.10's order: the first entry is what unknown names become.
SAMPLERS: tuple[Sampler, ...] = (
    Sampler("DPM++ 2M", ("k_dpmpp_2m",), "dpmpp_2m", "karras"),
    Sampler("DPM++ SDE", ("k_dpmpp_sde",), "dpmpp_sde", "karras"),
    Sampler("DPM++ 2M SDE", ("k_dpmpp_2m_sde",), "dpmpp_2m_sde", "exponential"),
    Sampler("DPM++ 2M SDE Heun", ("k_dpmpp_2m_sde_heun",), "dpmpp_2m_sde", "exponential",
            settings={"solver_type": "heun"}),
    Sampler("DPM++ 2S a", ("k_dpmpp_2s_a",), "dpmpp_2s_ancestral", "karras", uses_ensd=True),
    Sampler("DPM++ 3M SDE", ("k_dpmpp_3m_sde",), "dpmpp_3m_sde", "exponential",
            discard_penultimate=True),
    Sampler("Euler a", ("k_euler_a", "k_euler_ancestral"), "euler_ancestral", uses_ensd=True),
    Sampler("Euler", ("k_euler",), "euler"),
    Sampler("LMS", ("k_lms",), "lms"),
    Sampler("Heun", ("k_heun",), "heun"),
    Sampler("DPM2", ("k_dpm_2",), "dpm_2", "karras", discard_penultimate=True),
    Sampler("DPM2 a", ("k_dpm_2_a",), "dpm_2_ancestral", "karras", discard_penultimate=True,
            uses_ensd=True),
    Sampler("DPM fast", ("k_dpm_fast",), "dpm_fast", uses_ensd=True),
    Sampler("Restart", ("restart",), "restart", "karras"),
    Sampler("DDIM", ("ddim",), "DDIMScheduler",
            settings={"timestep_spacing": "leading", "set_alpha_to_one": False, "steps_offset": 1}),
    Sampler("PLMS", ("plms",), "PNDMScheduler", settings={"skip_prk_steps": True}),
    Sampler("UniPC", ("unipc",), "UniPCMultistepScheduler", settings={"timestep_spacing": "linspace"}),
    Sampler("LCM", ("k_lcm",), "LCMScheduler"),
)

SCHEDULES: tuple[Schedule, ...] = (
    Schedule("automatic", "Automatic"),
    Schedule("uniform", "Uniform", need_inner_model=True),
    Schedule("karras", "Karras", default_rho=7.0),
    Schedule("exponential", "Exponential"),
    Schedule("polyexponential", "Polyexponential", default_rho=1.0),
    Schedule("sgm_uniform", "SGM Uniform", ("SGMUniform",), need_inner_model=True),
    Schedule("kl_optimal", "KL Optimal"),
    Schedule("align_your_steps", "Align Your Steps"),
    Schedule("simple", "Simple", need_inner_model=True),
    Schedule("normal", "Normal", need_inner_model=True),
    Schedule("ddim", "DDIM", need_inner_model=True),
    Schedule("beta", "Beta", need_inner_model=True),
)


@dataclass(frozen=True)
class Choice:
    sampler: Sampler
    schedule: Schedule       # "automatic" only for a sampler without a default of its own

    @property
    def schedule_label(self) -> str:
        """The ``Schedule type`` infotext value, which A1111 1.10 always writes.

        ``fix_p_invalid_sampler_and_scheduler`` makes ``p.scheduler`` a label ("Automatic" when
        nothing was chosen) and ``get_sigmas`` replaces Automatic with the sampler's default.
        """
        return self.schedule.label


def _key(text: str) -> str:
    return text.strip().lower()


_BY_SAMPLER = {_key(n): s for s in SAMPLERS for n in (s.name, *s.aliases)}
_BY_SCHEDULE = {_key(n): s for s in SCHEDULES for n in (s.name, s.label, *s.aliases)}


def resolve(sampler_name: str | None, scheduler: str | None) -> Choice:
    """Split "DPM++ 2M Karras"-style names and resolve both parts, falling back like A1111."""
    name = _key(sampler_name or SAMPLERS[0].name)
    schedule = _BY_SCHEDULE.get(_key(scheduler or "automatic"), SCHEDULES[0])
    if name not in _BY_SAMPLER:
        for key, candidate in sorted(_BY_SCHEDULE.items(), key=lambda kv: -len(kv[0])):
            if key != "automatic" and name.endswith(" " + key) and name[:-len(key) - 1] in _BY_SAMPLER:
                name, schedule = name[:-len(key) - 1], candidate
                break
    sampler = _BY_SAMPLER.get(name, SAMPLERS[0])
    if schedule.name == "automatic":
        schedule = _BY_SCHEDULE[sampler.default_schedule]
    return Choice(sampler, schedule)


def uses_eta(choice: Choice) -> bool:
    from webui.ksampling import WITH_ETA

    return choice.sampler.function in WITH_ETA


def build_scheduler(choice: Choice, model_config: dict, family: str, eta: float,
                    strength: float = 1.0, run_steps: int = 0):
    """The diffusers scheduler that runs ``choice`` on a model with scheduler config ``model_config``.

    ``strength`` and ``run_steps`` describe an img2img pass (see ``KDiffusionScheduler``).
    """
    import diffusers

    sampler = choice.sampler
    if not sampler.kdiffusion:
        return getattr(diffusers, sampler.function).from_config(model_config, **sampler.settings)
    from webui.ksampling import KDiffusionScheduler

    schedule = "" if choice.schedule.name == "automatic" else choice.schedule.name
    return KDiffusionScheduler.from_config(
        model_config, sampler=sampler.function, schedule=schedule, family=family,
        discard_penultimate=sampler.discard_penultimate, eta=eta, strength=strength,
        run_steps=run_steps, **sampler.settings)


def _options(sampler: Sampler) -> dict:
    """The A1111 ``options`` of a sampler that clients may read."""
    options = {"scheduler": sampler.default_schedule} if sampler.default_schedule != "automatic" else {}
    if sampler.discard_penultimate:
        options["discard_next_to_last_sigma"] = True
    if sampler.uses_ensd:
        options["uses_ensd"] = True
    return options


def api_samplers() -> list[dict]:
    return [{"name": s.name, "aliases": list(s.aliases), "options": _options(s)} for s in SAMPLERS]


def api_schedulers() -> list[dict]:
    return [{"name": s.name, "label": s.label, "aliases": list(s.aliases) or None,
             "default_rho": s.default_rho, "need_inner_model": s.need_inner_model} for s in SCHEDULES]
