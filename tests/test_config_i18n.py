"""Settings from a TOML file, and the language chosen the way the user expects."""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart import config, i18n
from rempart.core.errors import ConfigError


@pytest.fixture(autouse=True)
def english() -> None:
    """These tests read the English messages (the French ones are checked in tests/i18n)."""
    i18n.set_language("en")


def test_no_settings_file_gives_the_defaults() -> None:
    settings = config.load()
    assert settings.scan.timeout == 1.0
    assert settings.store_url == ""


def test_settings_are_read_from_rempart_home(rempart_home: Path) -> None:
    (rempart_home / "settings.toml").write_text(
        'lang = "en"\n[scan]\ntimeout = 2\nconcurrency = 64\n', encoding="utf-8"
    )
    settings = config.load()
    assert settings.lang == "en"
    assert settings.scan.timeout == 2.0
    assert settings.scan.concurrency == 64
    assert config.data_dir() == rempart_home / "data"


@pytest.mark.parametrize(
    "text,needle",
    [
        ("lang = 3\n", "'lang'"),
        ("colour = 'blue'\n", "'colour'"),
        ("[scan]\ntimeout = -1\n", "positive"),
        ("[scan\n", "not valid TOML"),
    ],
)
def test_a_wrong_setting_is_named(rempart_home: Path, text: str, needle: str) -> None:
    (rempart_home / "settings.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=needle):
        config.load()


def test_french_is_the_default_language(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("LANG", "LC_ALL", "LC_MESSAGES", "REMPART_LANG"):
        monkeypatch.delenv(var, raising=False)
    assert i18n.detect() == "fr"


def test_the_locale_chooses_english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert i18n.detect() == "en"
    assert i18n.detect(explicit="fr") == "fr"  # --lang wins over the locale


def test_french_messages_come_from_the_catalogue() -> None:
    i18n.set_language("fr")
    assert i18n._("Error:") == "Erreur :"
    i18n.set_language("en")
    assert i18n._("Error:") == "Error:"


def test_pillar_sections_are_read(rempart_home: Path) -> None:
    (rempart_home / "settings.toml").write_text(
        '[sentinel]\nfolders = ["/srv/patients"]\nresponse = "suspend"\n'
        '[alerts]\nemail_to = ["cabinet@example.fr"]\nsmtp_port = 25\n'
        '[vault]\nrepository = "/mnt/usb/sauvegardes"\npage_size = 4096\n',
        encoding="utf-8",
    )
    settings = config.load()
    assert settings.sentinel.folders == ("/srv/patients",)
    assert settings.sentinel.response == "suspend"
    assert settings.alerts.email_to == ("cabinet@example.fr",)
    assert settings.alerts.smtp_port == 25
    assert settings.vault.repository == "/mnt/usb/sauvegardes"
    assert settings.vault.page_size == 4096


@pytest.mark.parametrize(
    "text,needle",
    [
        ('[sentinel]\nresponse = "explode"\n', '"kill", "suspend" or "alert"'),
        ('[sentinel]\nfolders = "/srv"\n', "list of strings"),
        ("[vault]\npage_size = 1000\n", "power of two"),
        ("[vault]\nretention = 3\n", "[vault] 'retention'"),
        ("vault = 3\n", "must be a [vault] table"),
    ],
)
def test_a_wrong_pillar_setting_is_named(rempart_home: Path, text: str, needle: str) -> None:
    i18n.set_language("en")
    (rempart_home / "settings.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config.load()
    assert needle in str(caught.value)
