"""The log knowledge base: real failure strings in, rule ids with parameters out; any encoding."""

from __future__ import annotations

import pytest

from sdsetup.i18n import CATALOGUE
from sdsetup.doctor.logdiag import RULES, LogReadError, decode_log, diagnose, read_log

# Verbatim signatures from shared/reference/doctor-failures.md (its sources are public issues).
SIGNATURES = [
    ("T1", "RuntimeError: Torch is not able to use GPU; add --skip-torch-cuda-test to "
           "COMMANDLINE_ARGS variable to disable this check", {}),
    ("T2", "AssertionError: Torch not compiled with CUDA enabled", {}),
    ("T3", "NVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not compatible with the "
           "current PyTorch installation.\nThe current PyTorch install supports CUDA capabilities "
           "sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90.",
     {"gpu": "NVIDIA GeForce RTX 5090", "sm": "sm_120"}),
    ("T3K", "RuntimeError: CUDA error: no kernel image is available for execution on the device",
     {}),
    ("T4", "RuntimeError: The NVIDIA driver on your system is too old (found version 11040). "
           "Please update your GPU driver", {"found": "11040"}),
    ("T5", "WARNING[XFORMERS]: xFormers can't load C++/CUDA extensions. xFormers was built for:\n"
           "    PyTorch 2.3.0+cu121 with CUDA 1201 (you have 2.4.0+cu121)",
     {"built": "2.3.0+cu121", "have": "2.4.0+cu121"}),
    ("T6", "A module that was compiled using NumPy 1.x cannot be run in\nNumPy 2.0.0 as it may "
           "crash.", {}),
    ("T7", "OSError: [WinError 126] The specified module could not be found. Error loading "
           "\"C:\\sd\\venv\\lib\\site-packages\\torch\\lib\\fbgemm.dll\" or one of its "
           "dependencies.", {"dll": "fbgemm.dll"}),
    ("P1", "ERROR: Could not find a version that satisfies the requirement torch==2.1.2 (from "
           "versions: 2.2.0, 2.2.0+cu121)\nERROR: No matching distribution found for torch==2.1.2",
     {"req": "torch==2.1.2"}),
    ("P4", "ERROR: In --require-hashes mode, all requirements must have their versions pinned "
           "with ==. These do not:", {}),
    ("N1", "pip._vendor.urllib3.exceptions.ReadTimeoutError: HTTPSConnectionPool(host="
           "'download.pytorch.org', port=443): Read timed out.", {}),
    ("N5", "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.", {}),
    ("N9", "ValueError: check_hostname requires server_hostname", {}),
    ("N10", "ProxyError('Unable to connect to proxy', FileNotFoundError(2, 'No such file'))", {}),
    ("G1", "fatal: repository 'https://github.com/Stability-AI/stablediffusion.git/' not found\n"
           "RuntimeError: Couldn't clone Stable Diffusion.", {}),
    ("G2", "fatal: unable to access 'https://github.com/AUTOMATIC1111/x.git/': Failed to connect "
           "to github.com port 443 after 21563 ms: Timed out", {}),
    ("H1", "OSError: Can't load tokenizer for 'openai/clip-vit-large-patch14'. If you were trying",
     {"repo": "openai/clip-vit-large-patch14"}),
    ("M1", "safetensors_rust.SafetensorError: Error while deserializing header: HeaderTooLarge",
     {}),
    ("U1", "OSError: Cannot find empty port in range: 7862-7862. You can specify a different port",
     {"port": "7862"}),
]


@pytest.mark.parametrize("rule_id,text,params", SIGNATURES, ids=[s[0] for s in SIGNATURES])
def test_signature(rule_id, text, params):
    log = "Launching Web UI with arguments: --xformers\n" + text + "\nPress any key . . .\n"
    findings = diagnose(log)
    assert rule_id in [f.rule.id for f in findings]
    finding = next(f for f in findings if f.rule.id == rule_id)
    assert finding.params == params
    assert finding.line == 2
    assert finding.excerpt in log


def test_every_rule_has_cause_and_fix_in_both_languages():
    for rule in RULES:
        for lang in ("en", "zh_CN"):
            assert f"doctor.log.{rule.id}.cause" in CATALOGUE[lang]
            assert f"doctor.log.{rule.id}.fix" in CATALOGUE[lang]


def test_harmless_lines_yield_nothing():
    log = ("WARNING: Location 'file:///wheels/torch/' is ignored: it is neither a file nor a "
           "directory.\n* To create a public link, set `share=True` in `launch()`.\n"
           "WARNING: --strip-extras is becoming the default in version 8.0.0.\n")
    assert diagnose(log) == ()


def test_the_more_specific_rule_suppresses_its_echo():
    log = SIGNATURES[2][1] + "\n" + SIGNATURES[3][1]
    assert [f.rule.id for f in diagnose(log)] == ["T3"]


def test_findings_follow_the_log_order():
    log = "x\n" + SIGNATURES[16][1] + "\ny\n" + SIGNATURES[1][1] + "\n"
    assert [(f.rule.id, f.line) for f in diagnose(log)] == [("H1", 2), ("T2", 4)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gbk"])
def test_logs_in_console_encodings(tmp_path, encoding):
    text = "正在启动…\nAssertionError: Torch not compiled with CUDA enabled\n按任意键继续\n"
    path = tmp_path / "log.txt"
    path.write_bytes(text.encode(encoding))
    assert read_log(path) == text
    assert [f.rule.id for f in diagnose(read_log(path))] == ["T2"]


def test_binary_garbage_decodes_without_error():
    assert isinstance(decode_log(bytes(range(256)) * 4), str)


@pytest.mark.parametrize("make", [lambda p: p / "missing.txt", lambda p: p])
def test_unreadable_log_says_which_file(tmp_path, make):
    path = make(tmp_path)
    with pytest.raises(LogReadError) as err:
        read_log(path)
    assert str(path) in str(err.value)
    assert err.value.hint == "doctor.hint_log"



def test_the_gpu_finding_fixes_with_an_install_not_the_doctor_just_run():
    """"Torch is not able to use GPU" is cured by installing the right build, not by re-running
    the doctor that just read the log."""
    from sdsetup.i18n.doctor import _LOG_EN, _LOG_ZH

    for table in (_LOG_EN, _LOG_ZH):
        assert table["T1"][1].startswith("sdsetup install"), table["T1"]


def test_no_log_fix_is_the_doctor_that_just_read_the_log():
    """A finding of `doctor --log` is fixed by some other command: `sdsetup doctor` again cannot."""
    from sdsetup.i18n.doctor import _LOG_EN, _LOG_ZH

    for table in (_LOG_EN, _LOG_ZH):
        again = [rule for rule, (_, fix) in table.items() if fix.startswith("sdsetup doctor")]
        assert again == [], again


def test_the_hub_fix_does_not_only_name_the_mirror():
    """The log does not say which Hub endpoint failed: the fix must not send everyone to
    hf-mirror.com, which may be the one that failed."""
    from sdsetup.i18n.doctor import _LOG_EN, _LOG_ZH

    for table in (_LOG_EN, _LOG_ZH):
        fix = table["H1"][1]
        assert fix.startswith("sdsetup run") and "https://huggingface.co" in fix, fix
