"""The ``default`` mirror reads pip's configuration the same way under pip 23, 25 and 26.

Each pip runs for real, in a throwaway venv made ``--without-pip`` with just that pip wheel unpacked
into it (a wheel of pure Python is installed by unpacking it; nothing else is needed for ``import
pip``). The wheels come from the interpreter's own ensurepip bundle, from the pip of the running
environment, or from this machine's pip sources (its configured indexes, find-links and cache); a
version none of them holds is skipped with the reason said.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
import zipfile
from importlib import resources
from pathlib import Path

import pip
import pytest

from sdsetup.mirrors.pipconfig import pip_package_sources

VERSIONS = ("23", "25", "26")


def _site_packages(env: Path) -> Path:
    done = subprocess.run([str(_python(env)), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True)
    return Path(done.stdout.strip())


def _python(env: Path) -> Path:
    return env / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def _bundled_wheels() -> list[Path]:
    bundled = resources.files("ensurepip") / "_bundled"
    return [Path(str(w)) for w in bundled.iterdir() if w.name.startswith("pip-")] if bundled.is_dir() else []


def _downloaded_wheel(major: str, folder: Path) -> Path | None:
    done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                           "-q", "-d", str(folder), f"pip=={major}.*"], capture_output=True, text=True,
                          timeout=300)
    found = sorted(folder.glob(f"pip-{major}.*.whl"))
    return found[-1] if done.returncode == 0 and found else None


@pytest.fixture(scope="module")
def pip_env(tmp_path_factory):
    """pip major version -> a venv holding only that pip (built once per test module)."""
    root = tmp_path_factory.mktemp("pips")
    made: dict[str, Path | str] = {}

    def build(major: str) -> Path:
        if major in made:
            if isinstance(made[major], str):
                pytest.skip(made[major])
            return made[major]  # type: ignore[return-value]
        env = root / f"pip{major}"
        venv.EnvBuilder(with_pip=False).create(env)
        site = _site_packages(env)
        if pip.__version__.split(".")[0] == major:  # the running pip, copied as it is installed
            shutil.copytree(Path(pip.__file__).parent, site / "pip")
        else:
            wheel = next((w for w in _bundled_wheels() if w.name.startswith(f"pip-{major}.")), None) \
                or _downloaded_wheel(major, root / "wheels")
            if wheel is None:
                made[major] = f"no pip {major} wheel on this machine (ensurepip or pip's sources)"
                pytest.skip(made[major])
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(site)
        version = subprocess.run([str(_python(env)), "-c", "import pip; print(pip.__version__)"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        assert version.split(".")[0] == major, version
        made[major] = env
        return env

    return build


@pytest.mark.slow
@pytest.mark.parametrize("major", VERSIONS)
def test_pip_configuration_is_read_under_each_pip(major, pip_env, tmp_path, monkeypatch):
    env = pip_env(major)
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nindex-url = http://127.0.0.1:9/global/simple\n"
                      "extra-index-url = http://127.0.0.1:9/extra/simple\n"
                      f"find-links = {tmp_path / 'wheels'}\n"
                      "[install]\nindex-url = http://127.0.0.1:9/install/simple\n", encoding="utf-8")
    environ = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PIP_CONFIG_FILE": str(config)}
    from_file = pip_package_sources(str(_python(env)), environ)
    assert from_file.indexes == ("http://127.0.0.1:9/install/simple", "http://127.0.0.1:9/extra/simple")
    assert from_file.find_links == ((tmp_path / "wheels").as_uri(),)

    from_env = pip_package_sources(str(_python(env)), {**environ,
                                                       "PIP_INDEX_URL": "http://127.0.0.1:9/env/simple"})
    assert from_env.indexes[0] == "http://127.0.0.1:9/env/simple"
    assert from_env.find_links == ((tmp_path / "wheels").as_uri(),)
