"""mirrors.toml: the bundled table, user overrides, precise errors, --mirror values, pip's config."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from sdsetup.home import Home
from sdsetup.mirrors.config import (MirrorConfigError, MirrorError, PackageSources, build_mirrors,
                                    bundled_mirrors_file, key_line, load_mirrors, read_tables, select)
from sdsetup.mirrors.pipconfig import (_PIP_MARK, parse_pip_config_list, pip_package_sources, read_pip_answer,
                                       sources_from_pip_config)

REPO = Path(__file__).resolve().parents[2]


def test_the_packaged_file_is_the_top_level_one():
    assert bundled_mirrors_file().read_bytes() == (REPO / "mirrors.toml").read_bytes()


def test_bundled_mirrors_and_their_roles(tmp_path):
    mirrors = load_mirrors(Home(tmp_path), environ={})
    assert {"default", "pytorch", "sjtu", "tuna", "ustc", "aliyun", "nju", "huawei", "tencent"} <= set(mirrors)
    assert mirrors["default"].from_pip_config and mirrors["default"].torch is None
    assert mirrors["sjtu"].torch_layout == "lazy" and "download.pytorch.org" in mirrors["sjtu"].torch_origin
    assert mirrors["aliyun"].torch_base("cu128") == "https://mirrors.aliyun.com/pytorch-wheels/cu128/"
    # TUNA has no PyTorch wheels: torch falls back to the official index.
    assert mirrors["tuna"].torch == mirrors["pytorch"].torch
    assert mirrors["nju"].from_pip_config  # no package index of its own
    assert all(m.huggingface for name, m in mirrors.items() if name not in ("default", "pytorch"))


def test_user_file_overrides_keys_and_adds_mirrors(tmp_path):
    user = tmp_path / "mine.toml"
    user.write_text('[mirrors.sjtu]\nhuggingface = "https://hf.example"\n\n'
                    '[mirrors.lab]\nname_en = "Lab"\nname_zh = "实验室"\npypi = "http://10.0.0.2/simple"\n',
                    encoding="utf-8")
    mirrors = load_mirrors(Home(tmp_path), environ={"SDSETUP_MIRRORS": str(user)})
    assert mirrors["sjtu"].huggingface == "https://hf.example"
    assert mirrors["sjtu"].pypi == ("https://mirror.sjtu.edu.cn/pypi/web/simple",)
    assert mirrors["lab"].pypi == ("http://10.0.0.2/simple",)
    assert mirrors["lab"].torch == mirrors["pytorch"].torch


@pytest.mark.parametrize("text, line, key, words", [
    ('[mirrors.lab]\nname_en = "x"\nname_zh = "y"\ntorch = "http://h/whl/"\n', 4, "mirrors.lab.torch",
     "{variant}"),
    ('[mirrors.lab]\nname_en = "x"\nname_zh = "y"\n\ntorch_layout = "pep503"\n', 5,
     "mirrors.lab.torch_layout", "index, flat, lazy"),
    ('[mirrors.lab]\nname_en = "x"\nname_zh = "y"\npypy = "http://h/simple"\n', 4, "mirrors.lab.pypy",
     "unknown key"),
    ('[mirrors.lab]\nname_en = "x"\nname_zh = "y"\npypi = "ftp://h/simple"\n', 4, "mirrors.lab.pypi",
     "http://"),
    ('[mirrors.Lab]\nname_en = "x"\n', 1, "mirrors.Lab", "a-z"),
    ('[mirrors.lab]\nname_en = "x"\nname_zh = "y"\ntorch_origin = "h"\n', 4,
     "mirrors.lab.torch_origin", "list"),
    ('[mirrors.lab]\nname_en = "x"\nname_zh = "y"\npypi = "http://host:notaport/simple"\n', 4,
     "mirrors.lab.pypi", "http://"),
    ('[mirrors.lab]\nname_en = "x"\nname_zh = "y"\npypi = "http://host:70000/simple"\n', 4,
     "mirrors.lab.pypi", "http://"),
    ('[mirrors.lab]\nname_en = "x"\nname_zh = "y"\nhuggingface = "https:///no-host"\n', 4,
     "mirrors.lab.huggingface", "http://"),
    ('[mirrors.lab\nname_en = "x"\n', 1, None, "Expected"),
])
def test_invalid_files_name_file_line_and_key(tmp_path, text, line, key, words):
    path = tmp_path / "mirrors.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MirrorConfigError) as caught:
        read_tables(path)
    assert caught.value.params["file"] == str(path)
    assert caught.value.params["line"] == line
    assert caught.value.params.get("where") == key
    assert words in str(caught.value)
    assert "line 0" not in str(caught.value) and ", -:" not in str(caught.value)


def test_errors_without_a_line_do_not_invent_one():
    from sdsetup.mirrors.config import config_error

    err = config_error("f.toml", 0, None, "broken")
    assert "line" not in err.params and "where" not in err.params and str(err).startswith("f.toml: broken")
    err = config_error("f.toml", 0, "mirrors.x.name_en", "missing")
    assert str(err).startswith("f.toml, mirrors.x.name_en: missing")
    assert err.hint == "install.hint_mirrors_file_noline"


def test_bad_mirror_urls_on_the_command_line_are_mirror_errors(tmp_path):
    mirrors = load_mirrors(Home(tmp_path), environ={})
    for spec in ("http://host:notaport/simple", "https:///simple"):
        with pytest.raises(MirrorError) as caught:
            select(spec, mirrors, None)
        assert caught.value.key == "install.bad_mirror_url"


def test_a_mirror_needs_its_names():
    with pytest.raises(MirrorConfigError) as caught:
        build_mirrors([{"lab": {"pypi": "http://h/simple"}}], "f.toml")
    assert caught.value.params["where"] == "mirrors.lab.name_en"
    assert "line" not in caught.value.params and "line 0" not in str(caught.value)


def test_bad_user_file_is_a_clean_cli_error(run_cli, tmp_path):
    bad = tmp_path / "mirrors.toml"
    bad.write_text('[mirrors.lab]\nname_en = "Lab"\nname_zh = "实验室"\ntorch = "https://h/whl/"\n',
                   encoding="utf-8")
    done = run_cli("mirrors", env={"SDSETUP_MIRRORS": str(bad)})
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {bad}, line 4, mirrors.lab.torch: must contain {{variant}}")
    assert "hint: " in done.stderr and "Traceback" not in done.stderr
    zh = run_cli("--lang", "zh", "mirrors", env={"SDSETUP_MIRRORS": str(bad)})
    assert "第 4 行" in zh.stderr


def test_key_line_finds_the_line_of_a_key_in_its_table():
    text = '[mirrors.a]\npypi = "x"\n\n[mirrors.b]\npypi = "y"\n torch = "z"\n'
    assert key_line(text, "mirrors.b", "pypi") == 5
    assert key_line(text, "mirrors.b", "torch") == 6
    assert key_line(text, "mirrors.b") == 4
    assert key_line(text, "mirrors.c", "pypi") == 0


def test_mirror_values_select_names_urls_folders_and_chains(tmp_path):
    mirrors = load_mirrors(Home(tmp_path), environ={})
    chain = select(f"sjtu,http://127.0.0.1:9/simple,{tmp_path}", mirrors, None)
    assert [m.name for m in chain][0] == "sjtu"
    assert chain[1].pypi == ("http://127.0.0.1:9/simple",) and chain[1].torch is None
    assert chain[2].pypi == (tmp_path.as_uri(),)
    auto = select("auto", mirrors, {"packages": "tuna", "torch": "sjtu", "models": "aliyun"})[0]
    assert auto.pypi == mirrors["tuna"].pypi and auto.torch == mirrors["sjtu"].torch
    with pytest.raises(MirrorError) as caught:
        select("tunaa", mirrors, None)
    assert "tuna" in caught.value.params["known"]
    with pytest.raises(MirrorError):
        select("auto", mirrors, None)


@pytest.mark.parametrize("items, sources", [
    ({}, PackageSources(("DEFAULT",), ())),
    ({"global.index-url": "https://a/simple", "global.extra-index-url": "file:///x/simple https://b/s",
      "global.find-links": "https://c/links"},
     PackageSources(("https://a/simple", "file:///x/simple", "https://b/s"), ("https://c/links",))),
    ({"global.index-url": "https://a/simple", ":env:.index-url": "https://env/simple"},
     PackageSources(("https://env/simple",), ())),
    ({"install.no-index": "true", "global.find-links": "https://c/links"},
     PackageSources((), ("https://c/links",))),
    # pip install applies [install] over [global]; other commands' sections do not count.
    ({"global.index-url": "https://g/simple", "install.index-url": "https://i/simple",
      "download.extra-index-url": "https://d/simple"},
     PackageSources(("https://i/simple",), ())),
    ({"install.index-url": "https://i/simple", ":env:.index-url": "https://env/simple"},
     PackageSources(("https://env/simple",), ())),
    # an empty value is ignored, as pip ignores it
    ({"install.index-url": "", "global.index-url": "https://g/simple"},
     PackageSources(("https://g/simple",), ())),
])
def test_default_mirror_reads_pip_config_like_pip(items, sources):
    assert sources_from_pip_config(items, "DEFAULT") == sources


def test_pip_config_list_output_is_parsed():
    out = ("global.extra-index-url='file:///a/simple file:///b/simple'\n:env:.default-timeout='180'\n"
           "nonsense line\n")
    assert parse_pip_config_list(out) == {"global.extra-index-url": "file:///a/simple file:///b/simple",
                                         ":env:.default-timeout": "180"}


def test_pip_answer_is_found_among_warnings_and_checked():
    line = _PIP_MARK + json.dumps({"default_index": "DEFAULT", "items": {"install.index-url": "x"}})
    assert read_pip_answer("WARNING: something\n" + line + "\n") == ({"install.index-url": "x"}, "DEFAULT")
    fallback = _PIP_MARK + json.dumps({"default_index": "D", "items": None, "config": "global.a='b'\n"})
    assert read_pip_answer(fallback) == ({"global.a": "b"}, "D")
    for bad in ("", "Traceback…", _PIP_MARK + "[]"):
        with pytest.raises(ValueError):
            read_pip_answer(bad)


def test_pip_config_child_failures_are_mirror_errors(tmp_path):
    with pytest.raises(MirrorError) as caught:
        pip_package_sources(str(tmp_path / "no-such-python"))
    assert caught.value.key == "install.pip_config_unreadable"
    with pytest.raises(MirrorError) as caught:
        pip_package_sources(timeout=0.01)
    assert caught.value.key == "install.pip_config_unreadable"


def test_pip_config_of_this_interpreter_is_read(monkeypatch):
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/env/simple")
    monkeypatch.delenv("PIP_NO_INDEX", raising=False)
    assert pip_package_sources().indexes[0] == "http://127.0.0.1:9/env/simple"


def test_mirrors_json_lists_every_mirror(run_cli):
    done = run_cli("mirrors", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {m["name"] for m in data["mirrors"]} >= {"default", "sjtu", "aliyun"}


def test_missing_user_file_named_by_the_environment(run_cli, tmp_path):
    done = run_cli("mirrors", env={"SDSETUP_MIRRORS": str(tmp_path / "nope.toml")})
    assert done.returncode == 1
    assert "nope.toml" in done.stderr and "hint: " in done.stderr and "Traceback" not in done.stderr


def test_up_stops_with_the_install_error_before_starting_anything(run_cli, sdsetup_home):
    done = run_cli("up", "--mirror", "http://127.0.0.1:9/simple", "--variant", "cpu", "--port", "9")
    assert done.returncode == 1
    assert "127.0.0.1:9/simple" in done.stderr and "hint: " in done.stderr
    assert "Traceback" not in done.stderr
    assert not (sdsetup_home / "env").exists()


def test_install_refuses_an_unusable_or_unsupported_python(run_cli, tmp_path):
    missing = run_cli("install", "--python", str(tmp_path / "no-python"), "--variant", "cpu")
    assert missing.returncode == 1 and "no-python" in missing.stderr and "Traceback" not in missing.stderr
    if sys.platform == "win32":
        return
    old = tmp_path / "python3.9"
    old.write_text("#!/bin/sh\necho '{\"version\": [3, 9, 18], \"implementation\": \"cpython\", \"bits\": 64,"
                   " \"executable\": \"/usr/bin/python3.9\", \"platform\": \"linux-x86_64\"}'\n", encoding="utf-8")
    old.chmod(0o755)
    done = run_cli("install", "--python", str(old), "--variant", "cpu")
    assert done.returncode == 1
    assert "Python 3.9.18" in done.stderr and "3.10–3.12" in done.stderr


def test_doctor_checks_report_config_problems_and_lazy_misses(tmp_path):
    from sdsetup.mirrors.checks import mirror_checks
    from sdsetup.mirrors.memory import record_miss

    home = Home(tmp_path)
    (ok,) = mirror_checks(home, environ={})
    assert ok.ok and ok.params["count"] >= 9
    record_miss(home, "sjtu", "origin.example.org")
    record_miss(home, "sjtu", "origin.example.org")
    miss = [c for c in mirror_checks(home, environ={}) if not c.ok]
    assert [(c.id, c.params["count"], c.hint) for c in miss] == [("mirrors.miss.sjtu", 2, "install.hint_other_mirror")]
    # a hand-edited file of the wrong shape is neither trusted nor fatal
    for junk in ('{"sjtu": 3, "nju": {"count": "x", "host": 1}}', '[1, 2]', '{"sjtu": {}}'):
        (tmp_path / "mirror-misses.json").write_text(junk, encoding="utf-8")
        assert [c for c in mirror_checks(home, environ={}) if not c.ok] == []
        record_miss(home, "sjtu", "origin.example.org")
    assert [c.params["count"] for c in mirror_checks(home, environ={}) if not c.ok] == [1]
    (tmp_path / "mirror-choice.json").write_text('{"packages": 1, "torch": null}', encoding="utf-8")
    from sdsetup.mirrors.memory import remembered_choice
    assert remembered_choice(home) is None
    bad = tmp_path / "bad.toml"
    bad.write_text("[mirrors.x]\nname_en = 1\n", encoding="utf-8")
    (broken,) = mirror_checks(home, environ={"SDSETUP_MIRRORS": str(bad)})
    assert not broken.ok and broken.params["line"] == 2 and broken.params["where"] == "mirrors.x.name_en"


def test_doctor_and_default_mirror_agree_on_an_install_section(monkeypatch, tmp_path):
    from sdsetup.facts.network import probe_pip_config

    config = tmp_path / "pip.conf"
    config.write_text("[global]\nindex-url = http://127.0.0.1:9/global/simple\n"
                      "[install]\nindex-url = http://127.0.0.1:9/install/simple\n", encoding="utf-8")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX", "PIP_FIND_LINKS"):
        monkeypatch.delenv(name, raising=False)
    sources = pip_package_sources()
    assert sources.indexes[0] == "http://127.0.0.1:9/install/simple"
    assert probe_pip_config(60).index_url == sources.indexes[0]


def test_binary_mirrors_file_is_an_error_naming_it_not_a_traceback(run_cli, sdsetup_home):
    sdsetup_home.mkdir(parents=True, exist_ok=True)
    (sdsetup_home / "mirrors.toml").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00binary")
    for args in (("mirrors",), ("doctor", "--json")):
        result = run_cli(*args)
        assert "Traceback" not in result.stderr, result.stderr
        shown = result.stdout + result.stderr
        assert "mirrors.toml" in shown and "not UTF-8 text" in shown, shown
    assert run_cli("mirrors").returncode == 1


@pytest.mark.parametrize("name, words", [
    ("default", ("the sources pip is set up with", "the same sources as packages", "huggingface.co")),
    ("pytorch", ("the sources pip is set up with", "the official PyTorch index", "huggingface.co")),
    ("sjtu", ("its own package index", "fetched on demand (may be slow at first)", "hf-mirror.com")),
    ("tuna", ("its own package index", "the official PyTorch index", "hf-mirror.com")),
    ("aliyun", ("its own package index", "its own folder of PyTorch files", "hf-mirror.com")),
    ("nju", ("the sources pip is set up with", "its own PyTorch index", "hf-mirror.com")),
])
def test_each_role_is_said_in_plain_words(tmp_path, name, words):
    from sdsetup.commands.mirrors import role_words

    mirrors = load_mirrors(Home(tmp_path), environ={})
    assert role_words(mirrors[name], mirrors["pytorch"].torch) == words


@pytest.mark.parametrize("lang, headers", [
    ("en", ["name", "packages from", "torch from", "models from", "mirror"]),
    ("zh", ["名称", "软件包来源", "torch 来源", "模型来源", "镜像"]),
])
def test_mirrors_table_has_a_header_per_column_aligned_in_both_languages(run_cli, lang, headers):
    from sdsetup.columns import width

    done = run_cli("--lang", lang, "mirrors")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [cell.strip() for cell in lines[0].split("  ") if cell.strip()] == headers
    for jargon in ("pip config", "with packages", "own index", " lazy ", "随软件包", "自有索引"):
        assert jargon not in done.stdout, jargon
    sjtu = next(line for line in lines if line.startswith("sjtu "))
    torch_column = width(lines[0][:lines[0].index(headers[2])])
    lazy_words = "fetched on demand" if lang == "en" else "按需从官方拉取"
    assert width(sjtu[:sjtu.index(lazy_words)]) == torch_column, done.stdout
