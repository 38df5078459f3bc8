"""Suite-wide settings: nothing may reach the network, and every test has its own home folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Set before any test imports huggingface_hub, gradio or diffusers.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "DO_NOT_TRACK": "1",
}
os.environ.update(OFFLINE_ENV)

# A developer's own settings must not steer the tests (a remembered mirror would send them to the
# real one; a token would leak into fixtures). pip's own settings stay: the install tests use pip.
for _name in ("SDSETUP_HOME", "SDSETUP_MIRROR", "SDSETUP_MIRRORS", "SDSETUP_TORCH_VARIANT",
              "SDSETUP_CUDA_DRIVER_VERSION", "SDSETUP_CIVITAI_URL", "SDSETUP_HF_ENDPOINT",
              "HF_ENDPOINT", "CIVITAI_TOKEN", "CIVITAI_API_TOKEN", "CIVITAI_API_KEY"):
    os.environ.pop(_name, None)
# Loopback test servers are never reached through a proxy the developer has set.
for _name in ("NO_PROXY", "no_proxy"):
    os.environ[_name] = ",".join(filter(None, (os.environ.get(_name), "127.0.0.1", "localhost")))


@pytest.fixture
def sdsetup_home(tmp_path: Path) -> Path:
    home = tmp_path / "sdhome"
    home.mkdir()
    return home


@pytest.fixture
def run_cli(sdsetup_home: Path):
    """Run ``python -m sdsetup`` as a user would, with its own home and English messages.

    ``env`` entries are added to (or, when None, removed from) the inherited environment.
    """

    def run(*args: str, env: dict[str, str | None] | None = None, timeout: float = 120,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
        full = dict(os.environ, SDSETUP_HOME=str(sdsetup_home), SDSETUP_LANG="en")
        for key, value in (env or {}).items():
            if value is None:
                full.pop(key, None)
            else:
                full[key] = value
        return subprocess.run(
            [sys.executable, "-m", "sdsetup", *args],
            capture_output=True, text=True, env=full, timeout=timeout, input=input,
        )

    return run
