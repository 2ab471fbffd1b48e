"""SystemRunner runs real processes: no shell, a timeout, bounded output, decoded safely."""

from __future__ import annotations

import sys

from rempart.host.runner import MAX_OUTPUT, SystemRunner, decode


def _py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_output_and_exit_status() -> None:
    runner = SystemRunner()
    ok = runner.run("t", _py("print('Status: active')"))
    assert ok.ok and ok.text.strip() == "Status: active"
    bad = runner.run("t", _py("import sys; sys.stderr.write('Access is denied.'); sys.exit(5)"))
    assert not bad.ok and bad.returncode == 5
    assert (
        bad.error is not None and "exit status 5" in bad.error and "Access is denied" in bad.error
    )


def test_missing_command_is_a_reason_not_an_exception() -> None:
    result = SystemRunner().run("t", ["rempart-no-such-command-xyz"])
    assert result.error == "command not found: rempart-no-such-command-xyz"


def test_a_command_that_hangs_is_stopped_at_the_timeout() -> None:
    result = SystemRunner().run("t", _py("import time; time.sleep(60)"), timeout=0.5)
    assert result.error is not None and "did not answer within 0.5 s" in result.error


def test_no_shell_interprets_the_arguments() -> None:
    result = SystemRunner().run("t", [*_py("import sys; print(sys.argv[1])"), "$(id); echo x"])
    assert result.text.strip() == "$(id); echo x"


def test_huge_output_is_cut_without_blocking() -> None:
    code = "import sys; [sys.stdout.buffer.write(b'x' * 65536) for _ in range(200)]"
    result = SystemRunner().run("t", _py(code))
    assert result.ok and len(result.text) == MAX_OUTPUT


def test_decode_never_fails() -> None:
    assert decode("Seuil de verrouillage".encode("utf-16")) == "Seuil de verrouillage"
    assert decode(b"\xef\xbb\xbf{}") == "{}"
    assert decode("Durée".encode("cp850")) == "Durée"
    assert isinstance(decode(bytes(range(256))), str)


def test_files_and_folders(tmp_path) -> None:
    runner = SystemRunner()
    (tmp_path / "f").write_text("hello", encoding="utf-8")
    assert runner.read(str(tmp_path / "f")).text == "hello"
    missing = runner.read(str(tmp_path / "none"))
    assert missing.returncode == 2 and "does not exist" in (missing.error or "")
    folder = tmp_path / "sudoers.d"
    folder.mkdir()
    for name in ("b", "a", "README"):
        (folder / name).write_text("", encoding="utf-8")
    assert runner.listdir(str(folder)).text.splitlines() == ["README", "a", "b"]
