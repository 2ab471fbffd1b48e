"""`rempart data import-fingerprints DIR` and `rempart data status`, through the real CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from rempart.cli.main import app
from rempart.discover.fingerprints import load_fingerprints
from rempart.discover.fingerprints.db import default_recog_dir
from tests.support import shared_data

FILES = ("ssh_banners.xml", "ftp_banners.xml", "x509_subjects.xml")


def recog_copy(folder: Path, names: tuple[str, ...] = FILES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(shared_data("recog", name), folder / name)
    shutil.copyfile(shared_data("recog", "LICENSE"), folder / "LICENSE")
    return folder


def run(*args: str):  # -> typer.testing.Result
    return CliRunner().invoke(app, ["--lang", "en", "data", *args])


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_import_installs_the_files_and_says_how_many(tmp_path: Path) -> None:
    source = recog_copy(tmp_path / "recog-xml")
    result = run("import-fingerprints", str(source))
    assert result.exit_code == 0, result.output
    target = default_recog_dir()
    assert sorted(p.name for p in target.glob("*.xml")) == sorted(FILES)
    assert (target / "LICENSE").is_file()  # BSD-2: the licence travels with the data
    loaded = load_fingerprints()
    assert loaded.match("ssh.banner", "SSH-2.0-OpenSSH_7.4") is not None
    stats = loaded.stats()
    assert f"Imported {stats.recog_fingerprints} fingerprints" in result.output
    assert f"{stats.recog_examples} examples from 3 files" in result.output
    assert f"{stats.recog_examples}/{stats.recog_examples} (100.00 %)" in result.output
    # Nothing left behind beside the target (staging or old folders).
    assert [p.name for p in target.parent.iterdir()] == ["recog"]


def test_status_shows_what_is_loaded(tmp_path: Path) -> None:
    before = run("status")
    assert before.exit_code == 0
    assert "import-fingerprints" in before.output  # tells the user what to do
    run("import-fingerprints", str(recog_copy(tmp_path / "src")))
    after = run("status")
    assert after.exit_code == 0
    stats = load_fingerprints().stats()
    assert str(stats.recog_fingerprints) in after.output
    assert "Rempart's own rules" in after.output


def test_malformed_file_is_refused_and_the_previous_import_stays(tmp_path: Path) -> None:
    first = run("import-fingerprints", str(recog_copy(tmp_path / "good")))
    assert first.exit_code == 0
    before = snapshot(default_recog_dir())

    bad = recog_copy(tmp_path / "bad", ("telnet_banners.xml",))
    (bad / "zz_broken.xml").write_text("<fingerprints><fingerprint pattern='x'>", encoding="utf-8")
    result = run("import-fingerprints", str(bad))
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "zz_broken.xml" in lines[0]
    assert snapshot(default_recog_dir()) == before
    assert [p.name for p in default_recog_dir().parent.iterdir()] == ["recog"]


def test_missing_or_empty_folder_is_one_line_and_an_error(tmp_path: Path) -> None:
    missing = run("import-fingerprints", str(tmp_path / "nowhere"))
    assert missing.exit_code != 0
    lines = [line for line in missing.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "nowhere" in lines[0]
    (tmp_path / "empty").mkdir()
    empty = run("import-fingerprints", str(tmp_path / "empty"))
    assert empty.exit_code != 0 and "No *.xml" in empty.stderr
    assert not default_recog_dir().exists()


def test_reimport_replaces_the_previous_set(tmp_path: Path) -> None:
    assert run("import-fingerprints", str(recog_copy(tmp_path / "a"))).exit_code == 0
    smaller = recog_copy(tmp_path / "b", ("telnet_banners.xml",))
    assert run("import-fingerprints", str(smaller)).exit_code == 0
    assert sorted(p.name for p in default_recog_dir().glob("*.xml")) == ["telnet_banners.xml"]
    assert load_fingerprints().match("ssh.banner", "OpenSSH_7.4") is None


def test_import_respects_the_configured_fingerprints_dir(
    tmp_path: Path, rempart_home: Path
) -> None:
    name = "ssh_banners.xml"
    configured = tmp_path / "elsewhere"
    (rempart_home / "settings.toml").write_text(
        f'fingerprints_dir = "{configured.as_posix()}"\n', encoding="utf-8"
    )
    result = run("import-fingerprints", str(recog_copy(tmp_path / "src", (name,))))
    assert result.exit_code == 0, result.output
    assert (configured / "recog" / name).is_file()


def test_the_root_of_a_recog_checkout_is_accepted(tmp_path: Path) -> None:
    checkout = tmp_path / "recog"
    recog_copy(checkout / "xml", ("ssh_banners.xml",))
    result = run("import-fingerprints", str(checkout))
    assert result.exit_code == 0, result.output
    assert (default_recog_dir() / "ssh_banners.xml").is_file()
