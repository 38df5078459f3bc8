"""Where sdsetup keeps things: the managed env, the download cache, models and outputs.

The home folder is ``--home``, else ``SDSETUP_HOME``, else ``%LOCALAPPDATA%\\sdsetup`` on Windows and
``$XDG_DATA_HOME/sdsetup`` (``~/.local/share/sdsetup``) elsewhere. Models follow the AUTOMATIC1111
layout below it, so an existing A1111 ``models/`` folder can be pointed at with ``--models-dir``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


def default_home(environ: Mapping[str, str], platform: str = sys.platform) -> Path:
    if environ.get("SDSETUP_HOME"):
        return Path(environ["SDSETUP_HOME"]).expanduser()
    if platform == "win32":
        base = environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "sdsetup"
    base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "sdsetup"


@dataclass(frozen=True)
class Home:
    root: Path

    @property
    def env_dir(self) -> Path:
        """The managed virtual environment that runs torch, diffusers and the web UI."""
        return self.root / "env"

    @property
    def cache_dir(self) -> Path:
        """Content-addressed download cache (wheels, models) shared by every command."""
        return self.root / "cache"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def embeddings_dir(self) -> Path:
        return self.root / "embeddings"

    @property
    def outputs_dir(self) -> Path:
        return self.root / "outputs"

    @property
    def config_file(self) -> Path:
        return self.root / "config.toml"

    @property
    def mirrors_file(self) -> Path:
        """The user's mirrors.toml; it overrides or adds to the bundled one."""
        return self.root / "mirrors.toml"

    def env_python(self, platform: str = sys.platform) -> Path:
        if platform == "win32":
            return self.env_dir / "Scripts" / "python.exe"
        return self.env_dir / "bin" / "python"


def resolve_home(cli_value: str | None, environ: Mapping[str, str] | None = None) -> Home:
    env = os.environ if environ is None else environ
    root = Path(cli_value).expanduser() if cli_value else default_home(env)
    return Home(root.absolute())
