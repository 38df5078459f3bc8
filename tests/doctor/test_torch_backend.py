"""The torch backend choice, table-driven: facts in, variant, release, device and reasons out."""

from __future__ import annotations

import pytest

from sdsetup.errors import UsageError
from sdsetup.facts.model import Gpu
from sdsetup.install.lockfile import (FACT_PLATFORMS, covered_releases, find_torch_pin,
                              installable_releases, torch_pins)
from sdsetup.install.torch_backend import (VARIANT_ENV, choose_for_install, choose_variant, cuda_of,
                                   parse_variant, variant_from_env)
from sdsetup.install.torch_tables import ARCHS, SUPPORTED, driver_max_cuda

from .conftest import MAC_ARM, MAC_INTEL, WINDOWS, WSL, facts, nvidia

RTX3070TI = nvidia("NVIDIA GeForce RTX 3070 Ti Laptop GPU", "8.6")
RTX4070 = nvidia("NVIDIA GeForce RTX 4070", "8.9")
RTX5090 = nvidia("NVIDIA GeForce RTX 5090", "12.0")
GTX1080 = nvidia("NVIDIA GeForce GTX 1080", "6.1")
GTX960 = nvidia("NVIDIA GeForce GTX 960", "5.2")
RTX2080S = nvidia("NVIDIA GeForce RTX 2080 SUPER", "7.5")
UNKNOWN_ARCH = nvidia("NVIDIA GeForce ...", None)

CASES = [
    # id, facts, variant, torch release, ok
    ("no gpu", facts(), "cpu", "2.13.0", True),
    ("550 / 12.4 laptop 3070 Ti", facts(gpus=(RTX3070TI,), driver="550.54.14", cuda="12.4"),
     "cu126", "2.13.0", True),
    ("560 / 12.6 full compat", facts(gpus=(RTX4070,), driver="560.35.03", cuda="12.6"),
     "cu126", "2.13.0", True),
    ("570 / 12.8 full compat", facts(gpus=(RTX4070,), driver="570.133.07", cuda="12.8"),
     "cu128", "2.13.0", True),
    ("580 / 13.0", facts(gpus=(RTX4070,), driver="580.82.09", cuda="13.0"), "cu130", "2.13.0",
     True),
    ("RTX 5090 on 570", facts(gpus=(RTX5090,), driver="570.133.07", cuda="12.8"), "cu128",
     "2.13.0", True),
    ("RTX 5090 + 4090 on 580", facts(gpus=(RTX5090, RTX4070), driver="580.82.09", cuda="13.0"),
     "cu130", "2.13.0", True),
    ("RTX 5090 on 550: minor compat to cu128", facts(gpus=(RTX5090,), driver="550.54.14",
                                                     cuda="12.4"), "cu128", "2.13.0", True),
    ("Pascal on 580 loses cu128/cu130", facts(gpus=(GTX1080,), driver="580.82.09", cuda="13.0"),
     "cu126", "2.13.0", True),
    ("Pascal on 535", facts(gpus=(GTX1080,), driver="535.104.05", cuda="12.2"), "cu126", "2.13.0",
     True),
    ("Maxwell on 580", facts(gpus=(GTX960,), driver="580.82.09", cuda="13.0"), "cu126", "2.13.0",
     True),
    ("470 gets an older torch on cu118", facts(gpus=(RTX3070TI,), driver="470.63.01", cuda="11.4"),
     "cu118", "2.7.1", True),
    ("Windows 591 Turing", facts(WINDOWS, gpus=(RTX2080S,), driver="591.86", cuda="13.1"), "cu130",
     "2.13.0", True),
    ("Windows 527 is below the 528.33 floor of CUDA 12",
     facts(WINDOWS, gpus=(RTX3070TI,), driver="527.56", cuda="12.0"), "cu118", "2.7.1", True),
    ("Linux 527 passes the 525.60.13 floor", facts(gpus=(RTX3070TI,), driver="527.56", cuda="12.0"),
     "cu126", "2.13.0", True),
    ("WSL reads Windows driver numbers", facts(WSL, gpus=(RTX3070TI,), driver="551.61",
                                               cuda="12.4"), "cu126", "2.13.0", True),
    ("driver too old for anything", facts(gpus=(RTX3070TI,), driver="418.39", cuda="10.1"), "cpu",
     "2.13.0", False),
    ("Python 3.14 only has 2.13.0", facts(python=(3, 14, 0), gpus=(RTX3070TI,), driver="470.63.01",
                                          cuda="11.4"), "cpu", "2.13.0", False),
    ("unknown arch trusts the driver", facts(gpus=(UNKNOWN_ARCH,), driver="550.54.14", cuda="12.4"),
     "cu126", "2.13.0", True),
    ("driver override only", facts(driver="580.65.06", cuda="13.0"), "cu130", "2.13.0", True),
    ("AMD RX 7900 XTX", facts(gpus=(Gpu("amd", "AMD gfx1100", gfx="gfx1100"),)), "rocm7.2",
     "2.13.0", True),
    ("AMD RX 6700 XT via HSA override", facts(gpus=(Gpu("amd", "AMD gfx1031", gfx="gfx1031"),)),
     "rocm7.2", "2.13.0", True),
    ("AMD on Windows falls back to CPU", facts(WINDOWS, gpus=(Gpu("amd", "AMD gfx1100",
                                                                  gfx="gfx1100"),)),
     "cpu", "2.13.0", True),
    ("AMD unsupported gfx", facts(gpus=(Gpu("amd", "AMD gfx803", gfx="gfx803"),)), "cpu", "2.13.0",
     True),
    ("Intel Arc", facts(gpus=(Gpu("intel", "Intel(R) Arc(TM) A770 Graphics"),)), "xpu", "2.13.0",
     True),
    ("Apple Silicon", facts(MAC_ARM, gpus=(Gpu("apple", "Apple Silicon"),)), "default", "2.13.0",
     True),
    ("Intel Mac keeps the last release with wheels", facts(MAC_INTEL), "default", "2.2.2", True),
    ("32-bit Python", facts(WINDOWS, bits=32), "cpu", "", False),
    ("Python 3.8 too old", facts(python=(3, 8, 10)), "cpu", "", False),
]


@pytest.mark.parametrize("name,machine,variant,release,ok", CASES, ids=[c[0] for c in CASES])
def test_choice_table(name, machine, variant, release, ok):
    choice = choose_variant(machine)
    assert (choice.variant, choice.torch_version, choice.ok) == (variant, release, ok)
    assert choice.reasons, "every choice says why"
    for reason in choice.reasons:
        assert reason.text() and reason.text("zh_CN")


DEVICES = [(facts(), "cpu"), (facts(gpus=(RTX4070,), driver="570.133.07", cuda="12.8"), "cuda"),
           (facts(gpus=(Gpu("amd", "AMD gfx1100", gfx="gfx1100"),)), "cuda"),
           (facts(gpus=(Gpu("intel", "Arc"),)), "xpu"), (facts(MAC_ARM), "mps"),
           (facts(MAC_INTEL), "cpu")]


@pytest.mark.parametrize("machine,device", DEVICES)
def test_device_follows_the_variant(machine, device):
    assert choose_variant(machine).device == device


@pytest.mark.parametrize("driver,cuda", [
    ("470.63.01", "11.4"), ("470.256.02", "11.4"), ("520.61.05", "11.8"), ("525.60.13", "12.0"),
    ("535.104.05", "12.2"), ("545.23.08", "12.3"), ("550.54.14", "12.4"), ("418.39", "10.1"),
])
def test_a_driver_below_580_never_gets_a_build_it_cannot_run(driver, cuda):
    choice = choose_variant(facts(gpus=(RTX3070TI,), driver=driver, cuda=cuda))
    if choice.variant.startswith("cu"):
        major = cuda_of(choice.variant)[0]
        assert major < 13
        assert major < 12 or tuple(map(int, driver.split("."))) >= (525, 60, 13)


def test_470_never_gets_a_cuda_12_build_and_says_why():
    choice = choose_variant(facts(gpus=(RTX3070TI,), driver="470.63.01", cuda="11.4"))
    assert not choice.variant.startswith("cu12")
    keys = [reason.key for reason in choice.reasons]
    assert "doctor.reason.older_release" in keys
    too_old = [r for r in choice.reasons if r.key == "doctor.reason.driver_too_old"]
    assert {r.params["need"] for r in too_old} >= {"525.60.13", "580"}


def test_nothing_fits_names_the_driver_to_install():
    choice = choose_variant(facts(gpus=(RTX3070TI,), driver="418.39", cuda="10.1"))
    update = [r for r in choice.reasons if r.key == "doctor.reason.update_driver"]
    assert update and update[0].params["need"] == "525.60.13"
    assert ">= 525.60.13" in update[0].text() and "--variant cpu" in update[0].text()
    windows = choose_variant(facts(WINDOWS, gpus=(RTX3070TI,), driver="418.96", cuda="10.1"))
    assert [r.params["need"] for r in windows.reasons if r.key == "doctor.reason.update_driver"] \
        == ["528.33"]


@pytest.mark.parametrize("driver,cuda", [("550.54.14", "12.4"), ("570.133.07", "12.8"),
                                         ("580.82.09", "13.0"), ("470.63.01", "11.4")])
def test_rtx_5090_never_gets_a_build_without_sm_120(driver, cuda):
    choice = choose_variant(facts(gpus=(RTX5090,), driver=driver, cuda=cuda))
    if choice.variant.startswith("cu"):
        assert ARCHS[choice.variant].runs(120)
    else:
        assert not choice.ok
    skipped = [r for r in choice.reasons if r.key == "doctor.reason.arch_missing"]
    assert all("sm_120" in r.text() for r in skipped)


def test_pascal_reasons_name_the_missing_architecture():
    choice = choose_variant(facts(gpus=(GTX1080,), driver="580.82.09", cuda="13.0"))
    texts = [reason.text() for reason in choice.reasons]
    assert any("cu130 skipped" in text and "sm_61" in text for text in texts)
    assert any("cu128 skipped" in text for text in texts)


def test_minor_compatibility_is_said_out_loud():
    choice = choose_variant(facts(gpus=(RTX3070TI,), driver="550.54.14", cuda="12.4"))
    minor = [r for r in choice.reasons if r.key == "doctor.reason.cuda_minor"][0]
    assert minor.params["floor"] == "525.60.13" and minor.params["full"] == "560.28.03"


def test_override_is_honoured_but_not_when_the_driver_cannot_run_it():
    machine = facts(gpus=(RTX3070TI,), driver="550.54.14", cuda="12.4")
    cpu = choose_variant(machine, override="cpu")
    assert (cpu.variant, cpu.device, cpu.ok) == ("cpu", "cpu", True)
    cu130 = choose_variant(machine, override="cu130")
    assert cu130.variant == "cu130" and not cu130.ok
    assert any(r.key == "doctor.reason.driver_too_old" for r in cu130.reasons)
    cu118 = choose_variant(machine, override="cu118")
    assert (cu118.variant, cu118.torch_version, cu118.ok) == ("cu118", "2.7.1", True)


def test_override_without_a_gpu_warns_and_rocm_on_windows_has_no_wheel():
    assert any(r.key == "doctor.reason.override_no_nvidia"
               for r in choose_variant(facts(), override="cu128").reasons)
    rocm = choose_variant(facts(WINDOWS), override="rocm7.2")
    assert not rocm.ok and rocm.reasons[-1].key == "doctor.reason.no_wheel"


@pytest.mark.parametrize("text,expected", [("cpu", "cpu"), (" CU128 ", "cu128"), ("auto", None),
                                           ("", None), ("rocm6.2.4", "rocm6.2.4")])
def test_parse_variant(text, expected):
    assert parse_variant(text) == expected


@pytest.mark.parametrize("text", ["cuda", "cu999", "rocm", "gpu", "cu12.8"])
def test_unknown_variant_is_a_usage_error(text):
    with pytest.raises(UsageError) as err:
        parse_variant(text)
    assert text in str(err.value) and "cu128" in str(err.value)
    with pytest.raises(UsageError):
        choose_variant(facts(), override=text)


def test_variant_from_env():
    assert variant_from_env({VARIANT_ENV: "cu126"}) == "cu126"
    assert variant_from_env({}) is None
    with pytest.raises(UsageError) as err:
        variant_from_env({VARIANT_ENV: "nvidia"})
    assert VARIANT_ENV in str(err.value)


@pytest.mark.parametrize("driver,windows,cuda", [
    ("550.54.14", False, (12, 4)), ("550.40.07", False, (12, 1)), ("580.82.09", False, (13, 0)),
    ("551.61", True, (12, 4)), ("528.33", True, (12, 0)), ("470.63.01", False, (11, 1)),
    ("390.48", False, None),
])
def test_driver_max_cuda(driver, windows, cuda):
    assert driver_max_cuda(driver, windows) == cuda


def test_tables_are_consistent():
    for release in SUPPORTED:
        for variant in release.variants:
            if variant.startswith("cu"):
                assert variant in ARCHS, (release.version, variant)
    assert [r.version for r in SUPPORTED] == sorted(
        (r.version for r in SUPPORTED), key=lambda v: tuple(map(int, v.split("."))), reverse=True)


def test_per_release_arch_exceptions():
    titan_v = nvidia("NVIDIA TITAN V", "7.0")
    h100 = nvidia("NVIDIA H100 80GB HBM3", "9.0")
    by_version = {release.version: release for release in SUPPORTED}
    assert by_version["2.8.0"].arch("cu128").runs(70)
    assert not by_version["2.13.0"].arch("cu128").runs(70)
    assert not by_version["2.13.0"].arch("cu126").runs(90)
    # Volta on a 570 driver: 2.13.0's cu128 lacks sm_70, its cu126 has it.
    assert choose_variant(facts(gpus=(titan_v,), driver="570.133.07", cuda="12.8")).variant \
        == "cu126"
    # Hopper on an old 12.x driver: 2.13.0's cu126 dropped sm_90, so cu128 runs by minor compat.
    assert choose_variant(facts(gpus=(h100,), driver="550.54.14", cuda="12.4")).variant == "cu128"


@pytest.mark.parametrize("variant,capability,runs", [
    ("cu126", 61, True), ("cu128", 61, False), ("cu128", 120, True), ("cu126", 120, False),
    ("cu126", 89, True),  # Ada runs sm_86 code: same major, lower minor
    ("cu130", 70, False), ("cu128", 121, True),  # sm_121 runs the compute_120 PTX
    ("cu130", 61, False), ("cu130", 120, True),
])
def test_arch_lists(variant, capability, runs):
    assert ARCHS[variant].runs(capability) is runs


# What doctor and install recommend: the same decision among the builds the bundled locks cover
# (lockfile.installable_releases). Cases not listed here choose the same as the table above.
INSTALLABLE = {
    "470 gets an older torch on cu118": ("cpu", "2.13.0", False),
    "Windows 527 is below the 528.33 floor of CUDA 12": ("cpu", "2.13.0", False),
    "Python 3.14 only has 2.13.0": ("cpu", "", False),
    "AMD RX 7900 XTX": ("cpu", "2.13.0", True),
    "AMD RX 6700 XT via HSA override": ("cpu", "2.13.0", True),
    "Intel Arc": ("cpu", "2.13.0", True),
    "Apple Silicon": ("cpu", "", False),
    "Intel Mac keeps the last release with wheels": ("cpu", "", False),
}


def installable_choice(machine, override=None):
    installable = installable_releases(machine.platform.key, machine.python.version[:2])
    return choose_for_install(machine, installable, override)


@pytest.mark.parametrize("name,machine,variant,release,ok", CASES, ids=[c[0] for c in CASES])
def test_installable_choice_table(name, machine, variant, release, ok):
    choice = installable_choice(machine)
    assert (choice.variant, choice.torch_version, choice.ok) == INSTALLABLE.get(name, (variant, release, ok))
    keys = [reason.key for reason in choice.reasons]
    if name in INSTALLABLE and choose_variant(machine).ok:
        # The best build for the hardware is not installable: the reasons say so, in both languages.
        assert {"doctor.reason.not_installable", "doctor.reason.driver_below_installable"} & set(keys)
    if choice.ok and choice.torch_version:
        pin = find_torch_pin(torch_pins(), choice.torch_version, choice.variant,
                             f"cp{machine.python.version[0]}{machine.python.version[1]}",
                             FACT_PLATFORMS[machine.platform.key])
        assert pin.version == choice.requirement.removeprefix("torch==")
    for reason in choice.reasons:
        assert reason.text() and reason.text("zh_CN")


def test_470_is_told_plainly_why_install_offers_no_cuda_build():
    choice = installable_choice(facts(gpus=(RTX3070TI,), driver="470.63.01", cuda="11.4"))
    assert not choice.variant.startswith("cu")
    last = choice.reasons[-1].text()
    assert last == ("driver 470.63.01 runs only CUDA 11 builds; sdsetup installs torch 2.13.0, whose "
                    "oldest CUDA build needs >= 525.60.13: update the driver, or use --variant cpu")
    assert "doctor.reason.update_driver" not in [r.key for r in choice.reasons]


def test_installable_never_offers_what_the_locks_lack():
    release = SUPPORTED[0]
    pins = [p for p in torch_pins() if p.variant != "cu128"]
    narrowed = covered_releases(SUPPORTED, pins, {"torch-runtime-cu126-linux_x86_64-cp311.txt"},
                                "linux-x86_64", (3, 11))
    assert [r.version for r in narrowed] == [release.version]
    # cu128 has no torch pin, cu130 no runtime lock; Windows builds need none.
    assert sorted(narrowed[0].variants) == ["cpu", "cu126"]
    windows = covered_releases(SUPPORTED, pins, set(), "windows-x86_64", (3, 11))
    assert sorted(windows[0].variants) == ["cpu", "cu126", "cu130"]
    rtx5090 = facts(gpus=(RTX5090,), driver="570.133.07", cuda="12.8")
    choice = choose_for_install(rtx5090, narrowed)
    assert not choice.ok and choice.variant == "cpu"  # cu126 lacks sm_120: never offered
    assert "sm_120" in " ".join(r.text() for r in choice.reasons)
