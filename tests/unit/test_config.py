"""Settings: defaults, parsing, and one clear line per bad value."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.infra.config import SettingsError, load_settings


def test_defaults_follow_the_spec() -> None:
    settings = load_settings()
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.file_base_url == "https://api.telegram.org/file/bot"
    assert str(settings.database_path) == "data/coalition.db"
    assert settings.default_language == "en"
    assert settings.default_timezone == "Europe/Berlin"
    assert settings.broadcast_rate == 25
    assert (settings.org_approvals_required, settings.broadcast_approvals_required) == (1, 0)
    assert (settings.broadcast_cancel_window, settings.broadcasts_per_hour) == (60, 5)


def test_values_come_from_environment_and_env_file(monkeypatch, tmp_path) -> None:
    (tmp_path / ".env").write_text("COORDINATOR_IDS=5, 7\nBROADCAST_RATE=100\n")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:abc")
    settings = load_settings()
    assert settings.coordinator_ids == {5, 7}
    assert settings.broadcast_rate == 100
    assert settings.file_base_url == "http://127.0.0.1:8081/file/bot"
    assert settings.token() == "1:abc"
    assert "1:abc" not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("COORDINATOR_IDS", "12,abc", "COORDINATOR_IDS: invalid value, comma-separated"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "DEFAULT_TIMEZONE: invalid value, must be an IANA"),
        ("BROADCAST_RATE", "0", "BROADCAST_RATE: invalid value, a number"),
        ("BROADCAST_RATE", "1001", "BROADCAST_RATE: invalid value, a number"),
        ("DEFAULT_LANGUAGE", "de", "DEFAULT_LANGUAGE: invalid value, must be one of en, ru"),
        ("ORG_APPROVALS_REQUIRED", "3", "ORG_APPROVALS_REQUIRED: invalid value"),
        ("CHANNEL_ID", "coalition_news", "CHANNEL_ID: invalid value, must be a channel id"),
        ("CHANNEL_ID", "1234567890", "CHANNEL_ID: invalid value, must be a channel id"),
    ],
)
def test_bad_value_names_the_variable(monkeypatch, variable, value, expected) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value).startswith(expected)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("value", ["-1001234567890", "@coalition_news"])
def test_a_channel_is_an_id_or_a_name(monkeypatch, value) -> None:
    monkeypatch.setenv("CHANNEL_ID", f" {value} ")
    assert load_settings().channel_id == value


def test_missing_token_points_to_the_sandbox() -> None:
    with pytest.raises(SettingsError, match=r"TELEGRAM_BOT_TOKEN is not set.*make sandbox"):
        load_settings().token()


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_cli_exits_2_with_one_line_on_a_bad_setting(tmp_path) -> None:
    result = _cli("migrate", env={"BROADCAST_RATE": "-1", "PATH": "", "HOME": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "coalition-bot: BROADCAST_RATE: invalid value, a number of messages per second above 0 "
        "and at most 1000"
    ]


def test_cli_run_without_token_exits_2(tmp_path) -> None:
    result = _cli("run", env={"PATH": "", "HOME": str(tmp_path)})
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr
    assert "make sandbox" in result.stderr


def test_cli_migrate_creates_the_database(tmp_path) -> None:
    database = tmp_path / "nested" / "bot.db"
    result = _cli("migrate", env={"DATABASE_PATH": str(database), "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert database.exists()
    assert "schema version" in result.stdout
