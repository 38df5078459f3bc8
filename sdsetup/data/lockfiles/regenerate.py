"""Regenerate the managed env's lockfiles from webui.in (see README.md here for what and why).

    python lockfiles/regenerate.py            # every target in TARGETS
    python lockfiles/regenerate.py linux_x86_64-cp311
    python lockfiles/regenerate.py torch      # torch.toml only

The target matching the running interpreter is compiled by pip-compile with the documented flags.
Other targets are compiled by ``uv pip compile --python-platform … --python-version …``, which
writes the same format (every sha256 of each pinned version) and, unlike pip's ``--platform``
dry run, evaluates dependency markers for the target (Windows needs colorama, Linux torch builds
pull nvidia-* wheels). Both resolve from the package sources pip is configured with, read at run
time; nothing here names an index. No lock holds torch: its wheel depends on the
variant and is pinned in torch.toml, so webui.in lists torch's own requirements instead.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
INPUT = HERE / "webui.in"
PYTHONS = ("3.10", "3.11", "3.12")
PLATFORMS = ("linux_x86_64", "win_amd64")
TARGETS = [f"{plat}-cp{py.replace('.', '')}" for plat in PLATFORMS for py in PYTHONS]
PIP_COMPILE_FLAGS = ["--generate-hashes", "--allow-unsafe", "--strip-extras",
                     "--no-emit-index-url", "--no-emit-find-links"]
TORCH_RELEASE = "2.13.0"
# The public index's Linux torch 2.13.0 is the CUDA 13.0 build (its runtime wheels are the -cu13
# ones, cuda-toolkit 13.0.x); its requirements are assumed to equal those of +cu130 on the PyTorch
# index, whose metadata was not reachable here.
CUDA_RUNTIME_VARIANT = "cu130"
TORCH_VARIANTS = ("cpu", "cu126", "cu128", "cu130")
# The NVIDIA runtime wheels the PyTorch index's Linux x86_64 torch builds require, per CUDA build:
# PYTORCH_EXTRA_INSTALL_REQUIREMENTS in pytorch/pytorch .github/scripts/generate_binary_build_matrix.py
# at 00018c9487224886f1c839167a56f4471ab1ebc4, the newest copy readable here. That copy predates
# 2.13.0 (its builds are 11.8/12.6/12.8), so these pins are UNVERIFIED for 2.13.0; the install
# compares them with the downloaded wheel's own Requires-Dist and stops on any difference.
# triton is torch's own requirement on Linux, the version the cu130 build pins.
_LINUX_X86 = "; platform_system == 'Linux' and platform_machine == 'x86_64'"
EXTRA_RUNTIME: dict[str, tuple[str, ...]] = {
    "cu126": ("nvidia-cuda-nvrtc-cu12==12.6.77", "nvidia-cuda-runtime-cu12==12.6.77",
              "nvidia-cuda-cupti-cu12==12.6.80", "nvidia-cudnn-cu12==9.5.1.17",
              "nvidia-cublas-cu12==12.6.4.1", "nvidia-cufft-cu12==11.3.0.4",
              "nvidia-curand-cu12==10.3.7.77", "nvidia-cusolver-cu12==11.7.1.2",
              "nvidia-cusparse-cu12==12.5.4.2", "nvidia-cusparselt-cu12==0.6.3",
              "nvidia-nccl-cu12==2.25.1", "nvidia-nvtx-cu12==12.6.77",
              "nvidia-nvjitlink-cu12==12.6.85", "nvidia-cufile-cu12==1.11.1.6"),
    "cu128": ("nvidia-cuda-nvrtc-cu12==12.8.61", "nvidia-cuda-runtime-cu12==12.8.57",
              "nvidia-cuda-cupti-cu12==12.8.57", "nvidia-cudnn-cu12==9.8.0.87",
              "nvidia-cublas-cu12==12.8.3.14", "nvidia-cufft-cu12==11.3.3.41",
              "nvidia-curand-cu12==10.3.9.55", "nvidia-cusolver-cu12==11.7.2.55",
              "nvidia-cusparse-cu12==12.5.7.53", "nvidia-cusparselt-cu12==0.6.3",
              "nvidia-nccl-cu12==2.25.1", "nvidia-nvtx-cu12==12.8.55",
              "nvidia-nvjitlink-cu12==12.8.61", "nvidia-cufile-cu12==1.13.0.11"),
}
TRITON = "triton==3.7.1; platform_system == 'Linux'"
TORCH_PLATFORM_TAGS = {"linux_x86_64": "manylinux_2_28_x86_64", "win_amd64": "win_amd64"}


def host_target() -> str:
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{plat}-cp{sys.version_info.major}{sys.version_info.minor}"


def blocks(lock: str) -> list[tuple[str, list[str]]]:
    """(pinned name, lines) per requirement of a lock in pip-compile's annotated format."""
    found: list[tuple[str, list[str]]] = []
    for line in lock.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            found.append((line.split("==")[0].strip().lower(), [line]))
        elif found:
            found[-1][1].append(line)
    return found


def via(lines: list[str]) -> set[str]:
    """Who needs a pin, from its ``# via`` annotation; "-r" marks a top-level requirement."""
    names = set()
    for line in lines[1:]:
        if not line.strip().startswith("#"):
            continue
        text = line.strip().lstrip("#").strip()
        text = text[len("via"):].strip() if text.startswith("via") else text
        if text:
            names.add("-r" if text.startswith("-r") else text.split()[0].lower())
    return names


def split_torch(lock: str) -> tuple[str, str]:
    """(the lock without torch and what only torch needed, those torch-only pins without torch)."""
    parsed = blocks(lock)
    dropped = {"torch"}
    changed = True
    while changed:
        changed = False
        for name, lines in parsed:
            needed_by = via(lines)
            if name not in dropped and needed_by and needed_by <= dropped:
                dropped.add(name)
                changed = True
    kept = "".join("\n".join(lines) + "\n" for name, lines in parsed if name not in dropped)
    runtime = "".join("\n".join(lines) + "\n" for name, lines in parsed
                      if name in dropped and name != "torch")
    return kept, runtime


def pip_compile_lock() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "lock.txt"
        subprocess.run([sys.executable, "-m", "piptools", "compile", *PIP_COMPILE_FLAGS,
                        "--output-file", str(out), INPUT.name], check=True, cwd=HERE)
        # pip-compile's own header names a temporary output path; ours says how to redo it.
        lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(lines[next(i for i, line in enumerate(lines) if not line.startswith("#")):])


UV_PLATFORMS = {"linux_x86_64": "x86_64-manylinux_2_28", "win_amd64": "x86_64-pc-windows-msvc"}


def source_args(find_links: bool = True) -> list[str]:
    """pip's configured sources as uv options (uv does not read pip's configuration)."""
    from sdsetup.mirrors.pipconfig import pip_package_sources

    sources = pip_package_sources()
    first, *extra = sources.indexes
    links = sources.find_links if find_links else ()
    return (["--index-url", first] + [arg for url in extra for arg in ("--extra-index-url", url)]
            + [arg for url in links for arg in ("--find-links", url)])


def uv_flags(target: str) -> list[str]:
    plat, tag = target.split("-")
    return ["--generate-hashes", "--python-platform", UV_PLATFORMS[plat],
            "--python-version", f"{tag[2]}.{tag[3:]}"]


def uv_compile_lock(target: str, find_links: bool = True, requirements: Path = INPUT) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "lock.txt"
        subprocess.run([sys.executable, "-m", "uv", "pip", "compile", "--quiet", *uv_flags(target),
                        "--index-strategy", "unsafe-best-match", *source_args(find_links), "--no-header",
                        "--output-file", str(out), requirements.name], check=True, cwd=requirements.parent)
        return out.read_text(encoding="utf-8")


def extra_runtime_lock(variant: str, target: str) -> str:
    """The runtime wheels of a PyTorch-index CUDA build, as its build matrix lists them."""
    with tempfile.TemporaryDirectory() as tmp:
        requirements = Path(tmp) / f"torch-runtime-{variant}.in"
        requirements.write_text("".join(f"{line}{_LINUX_X86}\n" for line in EXTRA_RUNTIME[variant])
                                + TRITON + "\n", encoding="utf-8")
        return uv_compile_lock(target, find_links=False, requirements=requirements)


def write(dest: Path, target: str, command: str, what: str, body: str) -> None:
    dest.write_text(f"# {what} for {target}, generated by lockfiles/regenerate.py with\n"
                    f"#    {command}\n\n{body}", encoding="utf-8")
    print(f"wrote {dest.name}")


def lock_target(target: str) -> None:
    """webui-<target>.txt, and on Linux the CUDA runtime the public index's torch build pulls in."""
    host = target == host_target()
    body = pip_compile_lock() if host else uv_compile_lock(target)
    command = ("pip-compile " + " ".join(PIP_COMPILE_FLAGS) if host
               else "uv pip compile " + " ".join(uv_flags(target)))
    kept, runtime = split_torch(body)
    write(HERE / f"webui-{target}.txt", target, command,
          "Everything but torch (pinned per variant in torch.toml)", kept)
    if not target.startswith("linux"):
        return
    if host:
        # pip-compile took the CPU torch pip finds locally (find-links); the runtime comes from
        # the index's build, so resolve once more without find-links.
        runtime = split_torch(uv_compile_lock(target, find_links=False))[1]
    command = "uv pip compile " + " ".join(uv_flags(target))
    write(HERE / f"torch-runtime-{CUDA_RUNTIME_VARIANT}-{target}.txt", target, command,
          f"NVIDIA runtime wheels of the {CUDA_RUNTIME_VARIANT} torch build (the public index's "
          "Linux torch)", runtime)
    for variant in EXTRA_RUNTIME:
        write(HERE / f"torch-runtime-{variant}-{target}.txt", target, command,
              f"NVIDIA runtime wheels of the {variant} torch build (PyTorch's build matrix)",
              extra_runtime_lock(variant, target))


def published_hashes(variant: str) -> dict[str, str]:
    """sha256 by file name from the official PyTorch index and pip's sources, where they say."""
    from sdsetup import http
    from sdsetup.install.index import IndexReader
    from sdsetup.mirrors.config import build_mirrors, bundled_mirrors_file, read_tables
    from sdsetup.mirrors.pipconfig import pip_package_sources

    official = build_mirrors([read_tables(bundled_mirrors_file())], "mirrors.toml")["pytorch"]
    sources = pip_package_sources()
    found: dict[str, str] = {}
    with http.client(timeout=30.0) as client:
        reader = IndexReader(client)
        listings = [
            ([official.torch_base(variant)], ()),
            (sources.indexes, sources.find_links),
        ]
        for indexes, links in listings:
            try:
                files = reader.project_files("torch", indexes=indexes, find_links=links)
            except Exception as err:  # an unreachable index only means fewer known hashes
                print(f"note: {indexes[0] if indexes else links}: {err}", file=sys.stderr)
                continue
            for f in files:
                if f.sha256:
                    found.setdefault(f.filename, f.sha256)
                elif f.url.startswith("file:"):
                    found.setdefault(f.filename, sha256_of(f.url))
    return found


def sha256_of(file_url: str) -> str:
    from sdsetup.download.hashing import sha256_file
    from sdsetup.install.index_pages import local_path

    return sha256_file(local_path(file_url))


def write_torch_pins(dest: Path) -> None:
    """torch.toml: the wheel file per release, variant, Python and platform, hashed where known."""
    out = ["# torch wheels per release, variant, Python and platform; written by regenerate.py.\n"
           "# An entry without sha256 had no published hash reachable when this was generated:\n"
           "# sdsetup trusts the first verified download and records its hash in\n"
           "# <home>/torch-hashes.json (trust on first use), and says so when it does.\n"]
    for variant in TORCH_VARIANTS:
        hashes = published_hashes(variant)
        for target in TARGETS:
            plat, tag = target.split("-")
            name = f"torch-{TORCH_RELEASE}+{variant}-{tag}-{tag}-{TORCH_PLATFORM_TAGS[plat]}.whl"
            out.append(f'\n[[wheel]]\nrelease = "{TORCH_RELEASE}"\nvariant = "{variant}"\n'
                       f'python = "{tag}"\nplatform = "{plat}"\nfile = "{name}"\n')
            if name in hashes:
                out.append(f'sha256 = "{hashes[name]}"\n')
    dest.write_text("".join(out), encoding="utf-8")


def main(argv: list[str]) -> int:
    if argv == ["torch"]:
        write_torch_pins(HERE / "torch.toml")
        print("wrote torch.toml")
        return 0
    for target in argv or TARGETS:
        lock_target(target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
