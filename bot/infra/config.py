"""Settings from the environment and an optional .env file (SPEC §8)."""

from __future__ import annotations

import re
import zoneinfo
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LANGUAGES = ("en", "ru")
# Telegram's rule for setWebhook's secret_token.
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# A channel's id (-1001234567890) or public @name (5 to 32 characters).
_CHANNEL = re.compile(r"-100\d{5,16}|@[A-Za-z][A-Za-z0-9_]{4,31}")


class SettingsError(Exception):
    """A setting has a value the bot cannot start with; the message names it."""


class Settings(BaseSettings):
    """Everything the bot reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_file_base_url: str | None = None
    database_path: Path = Path("./data/coalition.db")
    # PostgreSQL instead of the SQLite file at database_path (SPEC §11).
    database_url: str | None = Field(default=None, pattern=r"^postgres(ql)?://")
    coordinator_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_language: str = "en"
    default_timezone: str = "Europe/Berlin"
    broadcast_rate: float = Field(default=25.0, gt=0, le=1000)
    org_approvals_required: int = Field(default=1, ge=1, le=2)
    broadcast_approvals_required: int = Field(default=0, ge=0, le=1)
    broadcast_cancel_window: int = Field(default=60, ge=0)
    broadcasts_per_hour: int = Field(default=5, ge=1)
    # How many shifts of one event a member may take (or wait for) at once (SPEC §12.1).
    shifts_per_event: int = Field(default=3, ge=1, le=100)
    webhook_url: str | None = None
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    # This process's name among bot processes sharing a database (webhook replicas): its
    # senders' names start with it, so that one replica never takes another's rows in flight
    # for those its own previous run left (each replica its own, the same across restarts).
    replica: str = Field(default="", pattern=r"^[A-Za-z0-9_.-]{0,40}$")
    # Seconds a bot process leads the scheduled jobs without renewing (SPEC §11): another
    # process sharing the database takes them over this long after the leader died.
    scheduler_lease: float = Field(default=60.0, ge=0.3, le=3600)
    # Seconds `run` and `sender` keep trying to reach Telegram at start before they give up
    # with exit status 1 (for systemd to start them again later).
    startup_retry_seconds: float = Field(default=300.0, ge=0)
    # Updates a person may send in 10 seconds before the excess is dropped (§8).
    flood_limit: int = Field(default=20, ge=1)
    # The log (bot/infra/logs.py): its least level, and `json` for one object a line.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # The coalition's channel, where the bot is an admin (SPEC §12.3); unset: no posting.
    channel_id: str | None = None

    def sender_name(self, sender: str) -> str:
        """A sender's name in the database (its leases), within this replica."""
        return f"{self.replica}/{sender}" if self.replica else sender

    @property
    def four_eyes(self) -> bool:
        """Whether a second coordinator must approve every announcement, whatever its audience,
        and every coordinator granted in the bot (so a stolen account cannot add its own
        second account and approve itself with it)."""
        return bool(self.broadcast_approvals_required)

    @field_validator("coordinator_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in value.replace(" ", "").split(",") if part)
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_in_any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone name such as Europe/Berlin") from None
        return value

    @field_validator("channel_id")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value and not _CHANNEL.fullmatch(value.strip()):
            raise ValueError("must be a channel id such as -1001234567890 or a name such as "
                             "@our_coalition")
        return value.strip() if value else None

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("must be the public URL Telegram posts to, "
                                 "e.g. https://bot.example.org/telegram")
        return value or None

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value():
            if not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
                raise ValueError("1 to 256 characters A-Z, a-z, 0-9, _ and -")
            return value
        return None

    @property
    def file_base_url(self) -> str:
        if self.telegram_file_base_url:
            return self.telegram_file_base_url
        base = self.telegram_api_base_url
        prefix, _, tail = base.rpartition("/")
        return f"{prefix}/file/{tail}"

    def token(self) -> str:
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: get one from @BotFather, "
                "or try the bot offline with `make sandbox`"
            )
        return self.telegram_bot_token.get_secret_value()

    def webhook(self) -> tuple[str, str, str]:
        """Webhook mode's URL, the path it listens on, and the secret; both must be set."""
        if not self.webhook_url:
            raise SettingsError(
                "WEBHOOK_URL is not set: webhook mode needs the public https URL Telegram posts to")
        if self.webhook_secret is None:
            raise SettingsError(
                "WEBHOOK_SECRET is not set: webhook mode refuses requests without it; "
                "use 32+ random characters A-Z, a-z, 0-9, _ and -")
        path = urlsplit(self.webhook_url).path or "/"
        return self.webhook_url, path, self.webhook_secret.get_secret_value()


_HINTS = {
    "coordinator_ids": "comma-separated Telegram user ids (integers), e.g. 123,456",
    "broadcast_rate": "a number of messages per second above 0 and at most 1000",
    "log_level": "one of DEBUG, INFO, WARNING, ERROR",
    "log_format": "text (the default) or json, one JSON object a line",
}


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning a validation failure into one line naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        hint = _HINTS.get(field) or first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"{field.upper()}: invalid value, {hint}") from None
