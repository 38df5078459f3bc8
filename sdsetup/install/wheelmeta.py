"""What a downloaded wheel says it needs (``*.dist-info/METADATA``), checked against the locks.

The torch pin and its runtime lock are made apart (torch.toml, ``torch-runtime-*.txt``), and the
runtime pins come from a build matrix that may lag the release. The wheel's own ``Requires-Dist``
is the truth, so :func:`unmet_requirements` compares it with the planned pins before an env is
touched. Markers are evaluated for the *target* (platform and Python of the env), not for the
interpreter running sdsetup.

Exceptions: none of its own; reading a wheel that is not a zip with METADATA raises
:class:`WheelMetadataError` (an ``SdsetupError``).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Mapping
from email.parser import HeaderParser
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from sdsetup.errors import SdsetupError
from sdsetup.install.lockfile import Pin

# PEP 508 marker values of the lock platforms (the values CPython reports there).
_PLATFORM_MARKERS: dict[str, dict[str, str]] = {
    "linux_x86_64": {"platform_system": "Linux", "sys_platform": "linux",
                     "platform_machine": "x86_64", "os_name": "posix"},
    "win_amd64": {"platform_system": "Windows", "sys_platform": "win32",
                  "platform_machine": "AMD64", "os_name": "nt"},
}


class WheelMetadataError(SdsetupError):
    """A downloaded wheel without readable METADATA."""


def marker_environment(lock_platform: str, python_version: str) -> dict[str, str]:
    """The PEP 508 environment of a CPython ``python_version`` (``3.11.7``) on a lock platform."""
    major_minor = ".".join(python_version.split(".")[:2])
    return {**_PLATFORM_MARKERS.get(lock_platform, {}), "python_version": major_minor,
            "python_full_version": python_version, "implementation_name": "cpython",
            "platform_python_implementation": "CPython", "extra": ""}


def requires_dist(metadata: str) -> tuple[Requirement, ...]:
    """The ``Requires-Dist`` lines of a METADATA text; a malformed line is skipped, as pip warns."""
    found = []
    for line in HeaderParser().parsestr(metadata).get_all("Requires-Dist") or ():
        try:
            found.append(Requirement(line))
        except InvalidRequirement:
            continue
    return tuple(found)


def _exact(requirement: Requirement) -> bool:
    return any(spec.operator in ("==", "===") and "*" not in spec.version
               for spec in requirement.specifier)


def unmet_requirements(metadata: str, pins: Iterable[Pin], environment: Mapping[str, str]
                       ) -> tuple[str, ...]:
    """Requirements of the wheel, for this target, that the planned pins do not satisfy.

    A pinned requirement (``==``) must be in the pins at a matching version; any other
    requirement that the pins name must match too. Unpinned requirements absent from the pins are
    left to the installer (they belong to the main lock, not to the runtime wheels).
    """
    by_name = {pin.name: pin for pin in pins}
    unmet = []
    for requirement in requires_dist(metadata):
        if requirement.marker and not requirement.marker.evaluate(dict(environment)):
            continue
        wanted = f"{requirement.name}{requirement.specifier}"
        pin = by_name.get(canonicalize_name(requirement.name))
        if pin is None:
            if _exact(requirement):
                unmet.append(wanted)
        elif not requirement.specifier.contains(pin.version, prereleases=True):
            unmet.append(f"{wanted} (locked: {pin.version})")
    return tuple(unmet)


def read_metadata(wheel: Path) -> str:
    """The METADATA text of a wheel (the top-level ``*.dist-info`` folder's)."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            name = next((n for n in archive.namelist() if n.count("/") == 1
                         and n.endswith(".dist-info/METADATA")), None)
            if name is None:
                raise WheelMetadataError("install.wheel_no_metadata", hint="install.hint_report",
                                         file=str(wheel), detail="no *.dist-info/METADATA")
            return archive.read(name).decode("utf-8", "replace")
    except (OSError, zipfile.BadZipFile) as err:
        raise WheelMetadataError("install.wheel_no_metadata", hint="install.hint_report",
                                 file=str(wheel), detail=str(err)) from err
