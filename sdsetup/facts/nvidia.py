"""NVIDIA facts: parsers for nvidia-smi and /proc/driver/nvidia/version, and the probe that runs them.

Parsers take text and return data; they raise :class:`SmiParseError` on output they do not
understand. Its text is the tool's own output, quoted, never an English sentence: doctor shows it
after its catalogue label (``doctor.check.probe_garbage``) in whatever language it speaks. The formats are those of real captures kept in ``tests/doctor/fixtures/nvidia-smi``.
"""

from __future__ import annotations

import csv
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sdsetup.bounded import run_bounded
from sdsetup.facts.model import Gpu, ProbeIssue
from sdsetup.install.torch_tables import NAME_CAPABILITY

# compute_cap is absent from 470 drivers; without it the query fails as a whole (exit 2), so it is
# retried without that field and the capability is inferred from the GPU name.
QUERY_FIELDS = ("name", "memory.total", "driver_version", "compute_cap")
_VERSION = r"(\d+\.\d+(?:\.\d+)?)"


_QUOTED_CHARS = 120


def quoted(raw: str) -> str:
    """The tool's output as shown in a message: quoted, escaped, shortened, language-neutral."""
    text = " ".join(raw.split())
    if len(text) > _QUOTED_CHARS:
        text = text[:_QUOTED_CHARS] + "…"
    return repr(text)


class SmiParseError(ValueError):
    """nvidia-smi printed something that is not the documented format.

    ``raw`` is the part of its output that did not fit; ``str()`` is that text, quoted.
    """

    def __init__(self, raw: str) -> None:
        super().__init__(quoted(raw))
        self.raw = raw


@dataclass(frozen=True)
class SmiTable:
    driver_version: str | None
    cuda_version: str | None
    gpus: tuple[Gpu, ...]


def _value(text: str) -> str | None:
    text = text.strip()
    return None if not text or text.startswith("[") or text in ("N/A", "Not Supported") else text


def _mib(text: str | None) -> int | None:
    if text is None:
        return None
    match = re.fullmatch(r"(\d+)(?:\s*MiB)?", text)
    if not match:
        raise SmiParseError(text)
    return int(match.group(1))


def infer_capability(name: str) -> str | None:
    """The compute capability a GPU of this marketing name has, from the name table."""
    lowered = name.lower()
    for pattern, capability in NAME_CAPABILITY:
        if re.search(r"(?<![a-z0-9])" + re.escape(pattern), lowered):
            return f"{capability // 10}.{capability % 10}"
    return None


def _with_capability(gpu: Gpu) -> Gpu:
    if gpu.compute_capability:
        return gpu
    return Gpu(gpu.vendor, gpu.name, gpu.memory_mib, gpu.driver_version, infer_capability(gpu.name))


def parse_query_csv(text: str, fields: tuple[str, ...] = QUERY_FIELDS) -> tuple[Gpu, ...]:
    """Parse ``nvidia-smi --query-gpu=<fields> --format=csv,noheader[,nounits]``."""
    gpus = []
    for row in csv.reader(line for line in text.splitlines() if line.strip()):
        if len(row) != len(fields):
            raise SmiParseError(", ".join(row))
        values = dict(zip(fields, (_value(cell) for cell in row)))
        capability = values.get("compute_cap")
        if capability is not None and not re.fullmatch(r"\d+\.\d+", capability):
            raise SmiParseError(capability)
        driver = values.get("driver_version")
        if not re.fullmatch(_VERSION, driver or ""):
            raise SmiParseError(driver or ", ".join(row))
        name = values.get("name")
        if not name or not name.isprintable():
            raise SmiParseError(name or ", ".join(row))
        gpus.append(_with_capability(Gpu("nvidia", name, _mib(values.get("memory.total")),
                                         driver, capability)))
    if not gpus:
        raise SmiParseError(text)
    return tuple(gpus)


_TABLE_DRIVER = re.compile(r"Driver Version\s*:?\s*" + _VERSION)
_TABLE_CUDA = re.compile(r"CUDA Version\s*:?\s*" + _VERSION)
# "|   0  NVIDIA GeForce RTX 3070 ...    Off |" — the name column ends at the persistence mode
# (Linux) or the driver model (Windows).
_TABLE_GPU = re.compile(r"^\|\s+(\d+)\s+(.+?)\s+(?:On|Off|WDDM|TCC|MCDM)\s*\|")
_TABLE_MEMORY = re.compile(r"(\d+)MiB\s*/\s*(\d+)MiB")


def parse_table(text: str) -> SmiTable:
    """Parse the plain ``nvidia-smi`` table (also reads the header of ``nvidia-smi -q``)."""
    driver = _TABLE_DRIVER.search(text)
    cuda = _TABLE_CUDA.search(text)
    if not driver:
        raise SmiParseError(text)
    lines = text.splitlines()
    gpus = []
    for i, line in enumerate(lines):
        match = _TABLE_GPU.match(line)
        if not match:
            continue
        memory = _TABLE_MEMORY.search(lines[i + 1]) if i + 1 < len(lines) else None
        gpus.append(_with_capability(Gpu("nvidia", match.group(2).strip(),
                                         int(memory.group(2)) if memory else None,
                                         driver.group(1), None)))
    return SmiTable(driver.group(1), cuda.group(1) if cuda else None, tuple(gpus))


_PROC_VERSION = re.compile(r"Kernel Module(?: for \S+)?\s+" + _VERSION)


def parse_proc_version(text: str) -> str:
    """The driver version in ``/proc/driver/nvidia/version`` ("NVRM version: … Module  550.54.14 …")."""
    match = _PROC_VERSION.search(text)
    if not match:
        raise SmiParseError(text)
    return match.group(1)


@dataclass(frozen=True)
class NvidiaFacts:
    gpus: tuple[Gpu, ...] = ()
    driver_version: str | None = None
    cuda_version: str | None = None
    issues: tuple[ProbeIssue, ...] = ()


def _remaining(deadline: float) -> float:
    return deadline - time.monotonic()


def _query(smi: str, deadline: float) -> tuple[tuple[Gpu, ...], ProbeIssue | None]:
    for fields in (QUERY_FIELDS, QUERY_FIELDS[:-1]):
        out = run_bounded([smi, "--query-gpu=" + ",".join(fields), "--format=csv,noheader,nounits"],
                          _remaining(deadline))
        if out.timed_out:
            return (), ProbeIssue("nvidia-smi", "timeout")
        if out.returncode == 0:
            try:
                return parse_query_csv(out.stdout, fields), None
            except SmiParseError as err:
                return (), ProbeIssue("nvidia-smi", "garbage", str(err))
        if "compute_cap" not in out.stdout:
            return (), ProbeIssue("nvidia-smi", "error", quoted(out.stdout))
    return (), ProbeIssue("nvidia-smi", "error", quoted(out.stdout))


def probe_nvidia_smi(smi: str, deadline: float) -> NvidiaFacts:
    """Query form first (full names, capability); the plain table gives the CUDA version and is
    the fallback for the GPU list. Both run at once: a GPU waking from sleep makes each call slow."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        table_run = pool.submit(run_bounded, [smi], _remaining(deadline))
        gpus, issue = _query(smi, deadline)
        out = table_run.result()
    if out.timed_out or (issue and issue.kind == "timeout"):
        return NvidiaFacts(gpus, gpus[0].driver_version if gpus else None, None,
                           (ProbeIssue("nvidia-smi", "timeout"),))
    try:
        table = parse_table(out.stdout)
    except SmiParseError as err:
        issues = (issue,) if issue else (ProbeIssue("nvidia-smi", "garbage", str(err)),)
        return NvidiaFacts(gpus, gpus[0].driver_version if gpus else None, None, issues)
    # The table truncates long names ("RTX 3070 ..."), so the query's names win when it worked.
    return NvidiaFacts(gpus or table.gpus, table.driver_version, table.cuda_version,
                       () if gpus or table.gpus else tuple(filter(None, [issue])))
