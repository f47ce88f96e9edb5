"""The log: its level, text or one JSON object a line for log shippers, and never the token."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.infra.config import Settings

# Fields of the update log (bot/infra/updates.py) that a JSON line carries as its own keys.
UPDATE_FIELDS = ("update_id", "user_id", "handler", "duration_ms")
# Libraries whose debug lines hold what people wrote (the Bot API calls' parameters and
# answers, the SQL parameters): never below INFO, whatever LOG_LEVEL says.
CHATTY = ("telegram", "aiosqlite", "httpcore")
REDACTED = "[token]"


class RedactToken(logging.Filter):
    """Replaces the bot token in every record that reaches a handler: the Bot API URL holds
    it, and httpx logs each request's URL, as an exception's text may."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, REDACTED), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, REDACTED)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and the update log's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({name: getattr(record, name) for name in UPDATE_FIELDS
                     if hasattr(record, name)})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    """Log to standard error at LOG_LEVEL, as text or as JSON (LOG_FORMAT)."""
    level = logging.getLevelName(settings.log_level)
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    if settings.telegram_bot_token is not None and settings.telegram_bot_token.get_secret_value():
        handler.addFilter(RedactToken(settings.telegram_bot_token.get_secret_value()))
    logging.basicConfig(level=level, handlers=[handler])
    for name in CHATTY:
        logging.getLogger(name).setLevel(max(level, logging.INFO))
    # One line per request: useful when looking into a problem, noise otherwise.
    logging.getLogger("httpx").setLevel(logging.INFO if level <= logging.DEBUG else logging.WARNING)
