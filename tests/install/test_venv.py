"""The managed env's interpreter checks and the build-aside swap, on real folders."""

from __future__ import annotations

import os
import sys
import time

import pytest

from sdsetup.facts.model import PythonInfo
from sdsetup.install.venv import (STATE_FILE, Swap, Target, VenvError, check_supported, create, inspect_python,
                          recover, target_tags)


def target(version=(3, 11, 7), implementation="cpython", bits=64) -> Target:
    return Target(PythonInfo(version, implementation, bits, "/x/python"), "linux-x86_64")


@pytest.mark.parametrize("candidate, key", [
    (target(), None),
    (target((3, 10, 0)), None),
    (target((3, 12, 9)), None),
    (target((3, 9, 18)), "install.python_version"),
    (target((3, 13, 1)), "install.python_version"),
    (target(bits=32), "install.python_32bit"),
    (target(implementation="pypy"), "install.python_not_cpython"),
])
def test_supported_interpreters(candidate, key):
    if key is None:
        check_supported(candidate)
    else:
        with pytest.raises(VenvError) as caught:
            check_supported(candidate)
        assert caught.value.key == key


def test_tags_follow_the_target_python_not_the_running_one():
    tags = target_tags(target((3, 10, 2)), platforms=["manylinux_2_28_x86_64", "linux_x86_64"])
    assert str(tags[0]) == "cp310-cp310-manylinux_2_28_x86_64"
    assert any(str(t) == "py3-none-any" for t in tags)
    assert not any("cp311" in str(t) for t in tags)
    assert target((3, 12, 0)).python_tag == "cp312" and target().lock_platform == "linux_x86_64"


def finished(env, text='{"v": "old"}'):
    env.mkdir(parents=True)
    (env / STATE_FILE).write_text(text, encoding="utf-8")


def test_a_failed_build_puts_the_old_env_back(tmp_path):
    env = tmp_path / "env"
    finished(env)
    with pytest.raises(RuntimeError), Swap(env):
        env.mkdir()
        (env / "half-built").write_text("x", encoding="utf-8")
        raise RuntimeError("installer died")
    assert (env / STATE_FILE).read_text(encoding="utf-8") == '{"v": "old"}'
    assert not (env / "half-built").exists() and not (tmp_path / "env.old").exists()


def test_a_finished_build_replaces_the_old_env(tmp_path):
    env = tmp_path / "env"
    finished(env)
    with Swap(env):
        finished(env, '{"v": "new"}')
    assert (env / STATE_FILE).read_text(encoding="utf-8") == '{"v": "new"}'
    assert not (tmp_path / "env.old").exists()


def test_an_interrupted_run_is_undone_by_the_next(tmp_path):
    env, old = tmp_path / "env", tmp_path / "env.old"
    finished(old)
    env.mkdir()  # killed mid-build: no state file
    recover(env)
    assert (env / STATE_FILE).read_text(encoding="utf-8") == '{"v": "old"}' and not old.exists()


def _script(path, body: str):
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for the interpreter")
def test_interpreters_that_hang_fail_or_babble_are_venv_errors(tmp_path):
    hang = _script(tmp_path / "hang", f"sleep 30 &\necho $! > {tmp_path / 'child'}\nwait\n")
    started = time.monotonic()
    with pytest.raises(VenvError) as caught:
        inspect_python(hang, timeout=0.5)
    assert caught.value.key == "install.python_unusable" and time.monotonic() - started < 10
    child = int((tmp_path / "child").read_text())
    for _ in range(50):  # the grandchild is killed with the tree
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the interpreter's child outlived the timeout")
    for bad in (tmp_path / "missing", _script(tmp_path / "babble", "echo hello\n")):
        with pytest.raises(VenvError) as caught:
            inspect_python(bad)
        assert caught.value.key == "install.python_unusable"
    broken = Target(PythonInfo((3, 11, 0), "cpython", 64, str(_script(tmp_path / "nope", "exit 3\n"))),
                    "linux-x86_64")
    with pytest.raises(VenvError) as caught:
        create(broken, tmp_path / "env")
    assert caught.value.key == "install.venv_failed"
    gone = Target(PythonInfo((3, 11, 0), "cpython", 64, str(tmp_path / "missing")), "linux-x86_64")
    with pytest.raises(VenvError):
        create(gone, tmp_path / "env")


def test_the_running_interpreter_is_inspected():
    assert inspect_python(None).python.executable
