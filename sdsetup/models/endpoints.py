"""The Civitai and Hugging Face bases a user configured, checked before anything is asked of them.

``httpx`` raises ``InvalidURL`` (not an ``HTTPError``) on a base such as ``http://host:notaport``;
checking up front lets the message say where the bad value came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sdsetup.download.names import redact_url, url_problem
from sdsetup.i18n import t
from sdsetup.models.errors import ModelError


def configured(service: str, environ: Mapping[str, str], env_vars: Sequence[str],
               from_mirror: str | None, mirror: str | None, default: str,
               error: type[ModelError]) -> str:
    """The first of ``env_vars`` that is set, else the mirror's value, else ``default``.

    Returned without a trailing slash; ``error`` is raised when it is not a usable http(s) URL.
    """
    var = next((name for name in env_vars if environ.get(name)), None)
    if var is not None:
        base, origin = environ[var], t("models.origin_env", var=var)
    elif from_mirror:
        base, origin = from_mirror, t("models.origin_mirror", mirror=mirror or "?")
    else:
        base, origin = default, ""
    base = base.strip().rstrip("/")
    problem = url_problem(base)
    if problem is not None:
        raise error("models.bad_endpoint", hint="models.hint_endpoint", service=service,
                    url=base, origin=origin, reason=t(problem))
    return base


def bad_url(url: str, err: Exception, error: type[ModelError]) -> ModelError:
    """The error for a URL httpx refused to send to (its query, which may be signed, left out)."""
    return error("models.bad_url", hint="models.hint_endpoint", url=redact_url(url),
                 detail=str(err) or type(err).__name__)
