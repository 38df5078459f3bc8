"""Known failures in console logs (A1111, pip, git, torch, diffusers): what they mean and the fix.

The knowledge base is :data:`RULES`, built from shared/reference/doctor-failures.md (rule ids are
that file's ids). Each rule's cause and fix live in the catalogue as ``doctor.log.<id>.cause``
and ``doctor.log.<id>.fix``; named groups of the pattern become their parameters.
:func:`diagnose` is pure; :func:`read_log` reads a pasted log in whatever encoding a Windows or
Chinese console saved it in.

Errors: :class:`LogReadError` (an :class:`~sdsetup.errors.SdsetupError`) when the file cannot be read.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path

from sdsetup.errors import SdsetupError

# Long logs are mostly progress bars; the cause of a failure is near the end.
MAX_LOG_BYTES = 20 * 1024 * 1024


class LogReadError(SdsetupError):
    """The log file given to ``doctor --log`` cannot be read."""


@dataclass(frozen=True)
class Rule:
    id: str
    pattern: re.Pattern[str]
    severity: str = "fail"  # "fail" or "warn"
    suppressed_by: tuple[str, ...] = ()  # rules that already explain this one when they match


@dataclass(frozen=True)
class Finding:
    rule: Rule
    line: int  # 1-based line of the first match
    excerpt: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def cause_key(self) -> str:
        return f"doctor.log.{self.rule.id}.cause"

    @property
    def fix_key(self) -> str:
        return f"doctor.log.{self.rule.id}.fix"


def _rule(rule_id: str, pattern: str, severity: str = "fail", suppressed_by: tuple[str, ...] = ()
          ) -> Rule:
    return Rule(rule_id, re.compile(pattern), severity, suppressed_by)


RULES: tuple[Rule, ...] = (
    _rule("T1", r"Torch is not able to use GPU"),
    _rule("T2", r"Torch not compiled with CUDA enabled"),
    _rule("T3", r"(?P<gpu>NVIDIA [^\n]*?) with CUDA capability (?P<sm>sm_\d+) is not compatible "
                r"with the current PyTorch installation"),
    _rule("T3K", r"no kernel image is available for execution on the device",
          suppressed_by=("T3",)),
    _rule("T4", r"The NVIDIA driver on your system is too old \(found version (?P<found>\d+)\)"),
    _rule("T5", r"xFormers was built for:\s*PyTorch (?P<built>\S+) with CUDA \S+ "
                r"\(you have (?P<have>[^)\s]+)\)", severity="warn"),
    _rule("T6", r"compiled using NumPy 1\.x cannot be run in\s+NumPy 2"),
    _rule("T7", r"WinError 126\].*?Error loading \"[^\"]*?(?P<dll>[\w.-]+\.dll)\""),
    _rule("P2", r"\[MSC v\.\d+ 32 bit"),
    _rule("P1", r"(?:Could not find a version that satisfies the requirement|"
                r"No matching distribution found for) (?P<req>torch\S*)", suppressed_by=("P2",)),
    _rule("P1B", r"INCOMPATIBLE PYTHON VERSION", severity="warn"),
    _rule("P3", r"Couldn't install clip|Failed to build 'https://github\.com/openai/CLIP"),
    _rule("P4", r"In --require-hashes mode, all requirements must have their versions pinned"),
    _rule("N5", r"THESE PACKAGES DO NOT MATCH THE HASHES"),
    _rule("N1", r"Read timed out|The read operation timed out|ReadTimeoutError"),
    _rule("N3", r"IncompleteRead\(|Connection broken: |ConnectionResetError|Errno 104\]"),
    _rule("N4", r"Download failed after \d+ attempts because not enough bytes were received"),
    _rule("N6", r"SSLEOFError|EOF occurred in violation of protocol|SSLZeroReturnError"),
    _rule("N7", r"CERTIFICATE_VERIFY_FAILED"),
    _rule("N8", r"the SSL module is not available"),
    _rule("N9", r"check_hostname requires server_hostname"),
    _rule("N10", r"Unable to connect to proxy|Failed to connect to 127\.0\.0\.1 port \d+"),
    _rule("N11", r"Using SOCKS proxy, but the 'socksio' package is not installed"),
    _rule("N12", r"CAS service error"),
    _rule("N13", r"Consistency check failed: file should be of size"),
    _rule("G1", r"Couldn't (?:clone|fetch) Stable Diffusion|"
                r"repository 'https://github\.com/Stability-AI/stablediffusion\.git/' not found"),
    _rule("G2", r"Failed to connect to github\.com port 443"),
    _rule("G3", r"RPC failed; curl 18"),
    _rule("H1", r"Can't load tokenizer for '(?P<repo>[^']+)'"),
    _rule("H2", r"LocalEntryNotFoundError|OfflineModeIsEnabled|outgoing traffic has been disabled"),
    _rule("H5", r"PEFT backend is required"),
    _rule("M1", r"HeaderTooLarge"),
    _rule("M2", r"MetadataIncompleteBuffer|HeaderTooSmall|InvalidHeaderLength|"
                r"safetensors file is incomplete"),
    _rule("M3", r"Unable to load weights from checkpoint file"),
    _rule("U1", r"Cannot find empty port in range: (?P<port>\d+)"),
)


def diagnose(text: str, rules: tuple[Rule, ...] = RULES) -> tuple[Finding, ...]:
    """The rules that match ``text``, each once (at its first match), in the order of the log."""
    found: dict[str, Finding] = {}
    for rule in rules:
        match = rule.pattern.search(text)
        if not match:
            continue
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.end())
        excerpt = text[start:end if end != -1 else len(text)].strip()
        found[rule.id] = Finding(rule, text.count("\n", 0, match.start()) + 1, excerpt[:300],
                                 {k: v for k, v in match.groupdict().items() if v is not None})
    kept = [f for f in found.values() if not any(s in found for s in f.rule.suppressed_by)]
    return tuple(sorted(kept, key=lambda finding: finding.line))


def decode_log(data: bytes) -> str:
    """Text of a log saved by any console we expect: UTF-8, UTF-16 (PowerShell's ``>``), or the
    Chinese Windows code page (GBK, read as its superset GB18030)."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def read_log(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - MAX_LOG_BYTES))
            data = handle.read()
    except OSError as err:
        raise LogReadError("doctor.log_unreadable", hint="doctor.hint_log", path=str(path),
                           reason=err.strerror or str(err)) from None
    return decode_log(data)
