"""The plan: which file of each pin, from which mirrors, in which order (pure, table-driven)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from packaging.tags import Tag

from sdsetup.install.index_pages import IndexFile
from sdsetup.install.lockfile import Pin, TorchPin
from sdsetup.install.plan import MirrorListing, PlanError, build_plan, requirements_text

H1, H2, H3 = "1" * 64, "2" * 64, "3" * 64
TAGS = [Tag("cp311", "cp311", "manylinux_2_28_x86_64"), Tag("cp311", "cp311", "manylinux_2_17_x86_64"),
        Tag("cp311", "abi3", "manylinux_2_17_x86_64"), Tag("py3", "none", "any")]
TORCH = TorchPin("2.13.0", "cpu", "cp311", "linux_x86_64",
                 "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl", H3)
NUMPY = Pin("numpy", "2.4.6", frozenset({H1, H2}))


def f(name: str, sha: str | None = None, host: str = "a", **extra) -> IndexFile:
    return IndexFile(name, f"https://{host}/{name}", sha, **extra)


def listing(mirror: str, files: list[IndexFile], torch_base: str | None = "https://t/cpu/") -> MirrorListing:
    grouped: dict[str, tuple] = {}
    for item in files:
        project = item.filename.split("-")[0].lower()
        grouped[project] = grouped.get(project, ()) + (item,)
    return MirrorListing(mirror, grouped, torch_base)


def plan_of(*chain: MirrorListing, pins=(NUMPY,)):
    return build_plan(pins, TORCH, TAGS, "3.11.7", chain)


def numpy_file(plan):
    return next(x for x in plan.files if x.project == "numpy")


@pytest.mark.parametrize("files, chosen", [
    # the best-ranked tag wins
    ([f("numpy-2.4.6-cp311-cp311-manylinux_2_17_x86_64.whl", H1),
      f("numpy-2.4.6-cp311-cp311-manylinux_2_28_x86_64.whl", H2)], "numpy-2.4.6-cp311-cp311-manylinux_2_28_x86_64.whl"),
    # other versions, other Pythons, sdists and too-new requires-python are never picked
    ([f("numpy-2.4.5-cp311-cp311-manylinux_2_28_x86_64.whl", H1),
      f("numpy-2.4.6-cp312-cp312-manylinux_2_28_x86_64.whl", H1),
      f("numpy-2.4.6.tar.gz", H1),
      f("numpy-2.4.6-py3-none-any.whl", H1, requires_python=">=3.12"),
      f("numpy-2.4.6-cp311-abi3-manylinux_2_17_x86_64.whl", H2)], "numpy-2.4.6-cp311-abi3-manylinux_2_17_x86_64.whl"),
    # a listed hash the lock does not allow rules a file out, however good its tag
    ([f("numpy-2.4.6-cp311-cp311-manylinux_2_28_x86_64.whl", H3),
      f("numpy-2.4.6-py3-none-any.whl", H1)], "numpy-2.4.6-py3-none-any.whl"),
    # a hash-less listing is fine: the download is checked against the lock's hashes
    ([f("numpy-2.4.6-cp311-cp311-manylinux_2_28_x86_64.whl")], "numpy-2.4.6-cp311-cp311-manylinux_2_28_x86_64.whl"),
])
def test_choice_of_file(files, chosen):
    assert numpy_file(plan_of(listing("m", files))).filename == chosen


def test_same_file_on_several_mirrors_gives_failover_sources_in_mirror_order():
    name = "numpy-2.4.6-cp311-cp311-manylinux_2_28_x86_64.whl"
    plan = plan_of(listing("first", [f(name, host="a")]), listing("second", [f(name, H1, host="b", size=10)]),
                   listing("wrong", [f(name, H3, host="c")]))
    picked = numpy_file(plan)
    assert picked.sources == (("first", f"https://a/{name}"), ("second", f"https://b/{name}"))
    assert picked.sha256 == H1 and picked.size == 10


def test_torch_comes_from_each_mirrors_wheel_base_or_its_listing():
    torch_name = TORCH.file
    plan = plan_of(listing("idx", [f("numpy-2.4.6-py3-none-any.whl", H1)]),
                   listing("local", [f(torch_name, H3, host="l")], torch_base=None))
    torch = plan.torch_file()
    assert torch.sources == (("idx", "https://t/cpu/torch-2.13.0%2Bcpu-cp311-cp311-manylinux_2_28_x86_64.whl"),
                             ("local", f"https://l/{torch_name}"))
    assert torch.sha256 == H3 and plan.variant == "cpu" and plan.torch_version == "2.13.0+cpu"


def test_nothing_offered_names_every_missing_pin():
    with pytest.raises(PlanError) as caught:
        plan_of(listing("m", [], torch_base=None), pins=(NUMPY, Pin("six", "1.17.0", frozenset({H1}))))
    assert caught.value.params["names"] == f"{TORCH.file}, numpy==2.4.6, six==1.17.0"
    assert caught.value.params["count"] == 3


def test_requirements_pin_every_hash_and_torch_by_its_download():
    plan = plan_of(listing("m", [f("numpy-2.4.6-py3-none-any.whl", H1, size=5)]))
    text = requirements_text(plan, H3)
    assert f"torch==2.13.0+cpu --hash=sha256:{H3}" in text
    assert f"numpy==2.4.6 --hash=sha256:{H1} --hash=sha256:{H2}" in text
    assert plan.known_size == 5 and plan.unknown_sizes == 1


def test_plan_is_pure_and_loads_no_http_client():
    code = ("import sys, sdsetup.install.plan, sdsetup.install.index_pages; "
            "print('httpx' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "False"
