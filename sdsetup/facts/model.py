"""The facts the probes gather, as frozen dataclasses (no behaviour beyond small derived values)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PlatformInfo:
    os: str  # "linux", "windows", "macos" or sys.platform for anything else
    arch: str  # "x86_64", "arm64", … (normalised from platform.machine())
    release: str = ""
    wsl: bool = False

    @property
    def key(self) -> str:
        """The wheel platform key used by the torch tables, e.g. ``linux-x86_64``."""
        return f"{self.os}-{self.arch}"

    @property
    def windows_driver(self) -> bool:
        """NVIDIA's Windows driver numbers apply: on Windows, and in WSL, which uses the host's."""
        return self.os == "windows" or self.wsl


@dataclass(frozen=True)
class PythonInfo:
    version: tuple[int, int, int]
    implementation: str  # "cpython", "pypy", …
    bits: int
    executable: str
    venv_available: bool = True
    ms_store: bool = False

    @property
    def text(self) -> str:
        return ".".join(str(part) for part in self.version)


@dataclass(frozen=True)
class DiskInfo:
    path: str
    free_bytes: int | None
    on_system_drive: bool = False


@dataclass(frozen=True)
class Gpu:
    vendor: str  # "nvidia", "amd", "intel", "apple"
    name: str
    memory_mib: int | None = None
    driver_version: str | None = None
    compute_capability: str | None = None  # "8.6" for NVIDIA
    gfx: str | None = None  # "gfx1100" for AMD

    @property
    def capability(self) -> int | None:
        """The compute capability as major*10+minor (86 for "8.6"), or None when unknown."""
        if not self.compute_capability:
            return None
        major, _, minor = self.compute_capability.partition(".")
        return int(major) * 10 + int(minor or 0)


@dataclass(frozen=True)
class Proxy:
    variable: str  # e.g. "HTTPS_PROXY"
    url: str
    alive: bool | None = None  # None when not probed (unparsable address)


@dataclass(frozen=True)
class PipConfig:
    """The indexes and find-links ``pip install`` would use here, read as the ``default`` mirror
    reads them (:func:`sdsetup.mirrors.sources_from_pip_config`); ``index_url`` is None with
    ``no-index``."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProbeIssue:
    """A probe that could not finish: ``kind`` is "timeout", "garbage" or "error"."""

    probe: str
    kind: str
    detail: str = ""


@dataclass(frozen=True)
class MachineFacts:
    platform: PlatformInfo
    python: PythonInfo
    disk: DiskInfo | None = None
    home: str = ""
    long_paths: bool | None = None  # Windows' LongPathsEnabled; None elsewhere
    git_version: str | None = None
    proxies: tuple[Proxy, ...] = ()
    pip: PipConfig | None = None
    gpus: tuple[Gpu, ...] = ()
    nvidia_driver: str | None = None
    cuda_driver: str | None = None  # the newest CUDA the driver supports, "12.4"
    driver_source: str | None = None  # "nvidia-smi", "/proc/driver/nvidia/version", "env"
    issues: tuple[ProbeIssue, ...] = field(default=())

    @property
    def nvidia_gpus(self) -> tuple[Gpu, ...]:
        return tuple(gpu for gpu in self.gpus if gpu.vendor == "nvidia")
