"""Parsers fed with real-format outputs: nvidia-smi (table, query, -q), the kernel module, ROCm,
sycl-ls, pip config, git, proxies and platform strings."""

from __future__ import annotations

import pytest

from sdsetup.facts.accel import gfx_from_kfd, parse_amd_agents, parse_sycl_ls, probe_amd
from sdsetup.facts.model import Gpu
from sdsetup.facts.network import (pip_config_of, probe_proxies, proxies_from,
                                   proxies_from_system, proxy_address)
from sdsetup.facts.nvidia import (SmiParseError, infer_capability, parse_proc_version,
                                  parse_query_csv, parse_table)
from sdsetup.facts.system import (is_ms_store_python, on_system_drive, parse_git_version,
                                  home_path_issues, platform_from)

from .conftest import QUERIES, TABLES, read

TABLE_CASES = [
    # file, driver, CUDA, [(name, memory MiB, inferred capability)]
    ("a-470-laptop.txt", "470.63.01", "11.4", [("NVIDIA GeForce ...", 16116, None)]),
    ("b-535-gtx1080.txt", "535.104.05", "12.2", [("NVIDIA GeForce GTX 1080", 8192, "6.1")]),
    ("c-550-rtx3070ti-laptop.txt", "550.54.14", "12.4",
     [("NVIDIA GeForce RTX 3070 ...", 8192, "8.6")]),
    ("c-550-rtx4070.txt", "550.40.07", "12.4", [("NVIDIA GeForce RTX 4070", 12282, "8.9")]),
    ("d-570-rtx5090.txt", "570.133.07", "12.8", [("NVIDIA GeForce RTX 5090", 32607, "12.0")]),
    ("d-580-rtx5090-rtx4090.txt", "580.82.09", "13.0",
     [("NVIDIA GeForce RTX 5090", 32607, "12.0"), ("NVIDIA GeForce RTX 4090", 24564, "8.9")]),
    ("e-580-gtx960.txt", "580.82.09", "13.0", [("NVIDIA GeForce GTX 960", 2048, "5.2")]),
    ("e-580-gtx1080.txt", "580.82.09", "13.0", [("NVIDIA GeForce GTX 1080", 8192, "6.1")]),
    ("f-591-win-rtx2080s.txt", "591.86", "13.1", [("NVIDIA GeForce RTX 2080 ...", 8192, "7.5")]),
]


@pytest.mark.parametrize("name,driver,cuda,gpus", TABLE_CASES, ids=[c[0] for c in TABLE_CASES])
def test_plain_table(name, driver, cuda, gpus):
    table = parse_table(read(TABLES / name))
    assert (table.driver_version, table.cuda_version) == (driver, cuda)
    assert [(g.name, g.memory_mib, g.compute_capability) for g in table.gpus] == gpus
    assert all(g.vendor == "nvidia" and g.driver_version == driver for g in table.gpus)


def test_q_output_header_gives_driver_and_cuda():
    table = parse_table(read(TABLES / "f-591-win-rtx2080s.q.txt"))
    assert (table.driver_version, table.cuda_version) == ("591.86", "13.1")


QUERY_CASES = [
    ("c-550-rtx3070ti-laptop.csv", [Gpu("nvidia", "NVIDIA GeForce RTX 3070 Ti Laptop GPU", 8192,
                                        "550.54.14", "8.6")]),
    ("d-580-rtx5090-rtx4090.csv", [Gpu("nvidia", "NVIDIA GeForce RTX 5090", 32607, "580.82.09",
                                       "12.0"),
                                   Gpu("nvidia", "NVIDIA GeForce RTX 4090", 24564, "580.82.09",
                                       "8.9")]),
    ("n-a-memory.csv", [Gpu("nvidia", "NVIDIA A100-SXM4-40GB", None, "535.104.05", "8.0")]),
]


@pytest.mark.parametrize("name,gpus", QUERY_CASES, ids=[c[0] for c in QUERY_CASES])
def test_query_csv(name, gpus):
    assert list(parse_query_csv(read(QUERIES / name))) == gpus


def test_query_without_compute_cap_infers_it_from_the_name():
    fields = ("name", "memory.total", "driver_version")
    (gpu,) = parse_query_csv(read(QUERIES / "a-470-laptop.nocap.csv"), fields)
    assert (gpu.name, gpu.memory_mib, gpu.compute_capability) == (
        "NVIDIA GeForce RTX 3080 Laptop GPU", 16116, "8.6")


def test_query_with_units_is_read_too():
    (gpu,) = parse_query_csv("NVIDIA GeForce RTX 4070, 12282 MiB, 550.40.07, 8.9\n")
    assert gpu.memory_mib == 12282


@pytest.mark.parametrize("garbage", [
    "", "\n\n", "Segmentation fault\n", "NVIDIA-SMI has failed because it couldn't communicate "
    "with the NVIDIA driver.", "NVIDIA GeForce RTX 4070, lots, 550.40.07, 8.9",
    "NVIDIA GeForce RTX 4070, 12282, 550.40.07, eight", "\x00\xff\xfe garbage, , ,",
    read(QUERIES / "a-470-laptop.invalid-field.txt"),
])
def test_query_garbage_is_a_parse_error(garbage):
    with pytest.raises(SmiParseError):
        parse_query_csv(garbage)


@pytest.mark.parametrize("garbage", ["", "No devices were found", "\x1b[31mboom\x1b[0m",
                                     "Driver Version: banana"])
def test_table_garbage_is_a_parse_error(garbage):
    with pytest.raises(SmiParseError):
        parse_table(garbage)


@pytest.mark.parametrize("text,version", [
    ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\n"
     "GCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)\n", "550.54.14"),
    ("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.82.09  Release Build  "
     "(dvs-builder@U16-I3-B03-4-3)  Wed Aug 27 23:40:18 UTC 2025\n", "580.82.09"),
    ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  470.63.01  Tue Aug  3 20:44:16 UTC 2021\n",
     "470.63.01"),
])
def test_proc_driver_version(text, version):
    assert parse_proc_version(text) == version


def test_proc_driver_version_garbage():
    with pytest.raises(SmiParseError):
        parse_proc_version("no module here")


@pytest.mark.parametrize("name,capability", [
    ("NVIDIA GeForce RTX 3070 Ti Laptop GPU", "8.6"), ("NVIDIA GeForce RTX 5060", "12.0"),
    ("NVIDIA A100-SXM4-80GB", "8.0"), ("NVIDIA A10G", "8.6"), ("Tesla T4", "7.5"),
    ("NVIDIA GeForce GTX 1660 SUPER", "7.5"), ("NVIDIA H100 80GB HBM3", "9.0"),
    ("NVIDIA GeForce ...", None), ("Matrox G200", None),
])
def test_capability_from_name(name, capability):
    assert infer_capability(name) == capability


def test_rocm_agents():
    enumerator = "gfx000\ngfx1100\ngfx1100\n"
    assert [g.gfx for g in parse_amd_agents(enumerator)] == ["gfx1100"]
    rocminfo = ("Agent 2\n*******\n  Name:                    gfx1031\n"
                "  Marketing Name:          AMD Radeon RX 6700 XT\n")
    assert [(g.vendor, g.gfx) for g in parse_amd_agents(rocminfo)] == [("amd", "gfx1031")]
    assert parse_amd_agents("command not found") == ()


@pytest.mark.parametrize("version,gfx", [("110000", "gfx1100"), ("90010", "gfx90a"),
                                         ("100301", "gfx1031"), ("90402", "gfx942"),
                                         ("120001", "gfx1201"), ("0", None)])
def test_kfd_gfx_target_version(version, gfx):
    properties = f"cpu_cores_count 0\nsimd_count 192\ngfx_target_version {version}\nmax_waves 32\n"
    assert gfx_from_kfd(properties) == gfx
    assert gfx_from_kfd("garbage") is None


def test_amd_from_a_kfd_topology_tree(tmp_path):
    for node, version in (("0", "0"), ("1", "100300"), ("2", "100300")):
        (tmp_path / node).mkdir()
        (tmp_path / node / "properties").write_text(f"gfx_target_version {version}\n")
    assert [g.gfx for g in probe_amd(1.0, tmp_path)] == ["gfx1030"]


def test_sycl_ls():
    text = ("[opencl:cpu][opencl:0] Intel(R) OpenCL, 13th Gen Intel(R) Core(TM) i7 OpenCL 3.0\n"
            "[level_zero:gpu][level_zero:0] Intel(R) Level-Zero, Intel(R) Arc(TM) A770 Graphics "
            "12.55.8 [1.3.29735]\n")
    assert [g.name for g in parse_sycl_ls(text)] == ["Intel(R) Arc(TM) A770 Graphics"]
    assert parse_sycl_ls("") == ()


def test_doctor_reads_pip_config_as_the_default_mirror_does():
    from sdsetup.mirrors.pipconfig import sources_from_pip_config

    items = {"global.index-url": "https://mirror.example/simple",
             "install.index-url": "https://install.example/simple",
             "global.extra-index-url": "file:///a/simple file:///b/simple",
             "download.find-links": "file:///ignored", "install.find-links": "file:///wheels"}
    sources = sources_from_pip_config(items, "DEFAULT")
    config = pip_config_of(sources.indexes, sources.find_links)
    assert config.index_url == "https://install.example/simple"
    assert config.extra_index_urls == ("file:///a/simple", "file:///b/simple")
    assert config.find_links == ("file:///wheels",)
    assert pip_config_of((), ()).index_url is None


def test_proxies_and_addresses():
    env = {"HTTPS_PROXY": "http://127.0.0.1:7890", "all_proxy": "socks5://127.0.0.1",
           "NO_PROXY": "localhost"}
    assert [(p.variable, p.url) for p in proxies_from(env)] == [
        ("HTTPS_PROXY", "http://127.0.0.1:7890"), ("all_proxy", "socks5://127.0.0.1")]
    assert proxy_address("http://127.0.0.1:7890") == ("127.0.0.1", 7890)
    assert proxy_address("127.0.0.1:7890") == ("127.0.0.1", 7890)
    assert proxy_address("socks5://proxy.lan") == ("proxy.lan", 1080)
    assert proxy_address("http://host:notaport") is None
    assert proxy_address("::::") is None


def test_system_proxies_count_only_without_environment_ones():
    system = {"http": "http://127.0.0.1:7890", "https": "http://127.0.0.1:7890", "ftp": "x",
              "no": "localhost"}
    assert [(p.variable, p.url) for p in proxies_from_system(system)] == [
        ("system:http", "http://127.0.0.1:7890"), ("system:https", "http://127.0.0.1:7890")]
    env = {"HTTPS_PROXY": "http://10.0.0.1:3128"}
    assert [p.variable for p in probe_proxies(env, "windows")] == ["HTTPS_PROXY"]
    assert probe_proxies({}, "linux") == ()


@pytest.mark.parametrize("sys_platform,machine,release,env,expected", [
    ("linux", "x86_64", "6.8.0-45-generic", {}, ("linux", "x86_64", False)),
    ("linux", "x86_64", "5.15.153.1-microsoft-standard-WSL2", {}, ("linux", "x86_64", True)),
    ("linux", "aarch64", "6.1", {"WSL_DISTRO_NAME": "Ubuntu"}, ("linux", "arm64", True)),
    ("win32", "AMD64", "10", {}, ("windows", "x86_64", False)),
    ("darwin", "arm64", "24.1.0", {}, ("macos", "arm64", False)),
    ("freebsd14", "amd64", "14.1", {}, ("freebsd14", "x86_64", False)),
])
def test_platform(sys_platform, machine, release, env, expected):
    info = platform_from(sys_platform, machine, release, env)
    assert (info.os, info.arch, info.wsl) == expected


def test_windows_specific_path_checks():
    store = ("C:\\Users\\li\\AppData\\Local\\Microsoft\\WindowsApps\\"
             "PythonSoftwareFoundation.Python.3.11_qbz5n2kfra8p0\\python.exe")
    assert is_ms_store_python(store)
    assert not is_ms_store_python("C:\\Python311\\python.exe")
    assert on_system_drive("C:\\Users\\li\\sdsetup", "windows", {"SystemDrive": "C:"})
    assert not on_system_drive("D:\\sdsetup", "windows", {"SystemDrive": "C:"})
    assert not on_system_drive("/home/li", "linux", {})
    assert home_path_issues("C:\\Users\\李雷\\sdsetup", "windows", False) == ("non_ascii",)
    assert home_path_issues("C:\\" + "x" * 90, "windows", False) == ("too_long",)
    assert home_path_issues("C:\\" + "x" * 90, "windows", True) == ()
    assert home_path_issues("C:\\Users\\li\\OneDrive\\sd", "windows", None) == ("onedrive",)
    assert home_path_issues("/home/李雷/OneDrive/" + "x" * 90, "linux", None) == ()


def test_git_version():
    assert parse_git_version("git version 2.39.5\n") == "2.39.5"
    assert parse_git_version("git version 2.45.1.windows.1") == "2.45.1"
    assert parse_git_version("garbage") is None
