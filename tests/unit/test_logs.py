"""The log filter and the JSON lines: the token never reaches a line, however it got there."""

from __future__ import annotations

import json
import logging
import sys

from bot.infra.logs import JsonFormatter, RedactToken

TOKEN = "123456:ABC-secret-token"


def _record(message: str, *args: object, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("httpx", logging.INFO, __file__, 1, message, args, exc_info)


def test_the_token_is_redacted_from_arguments_and_exception_text() -> None:
    try:
        raise ConnectionError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getMe")
    except ConnectionError:
        failure = sys.exc_info()
    record = _record("HTTP Request: POST %s", f"https://api.telegram.org/bot{TOKEN}/getMe",
                     exc_info=failure)
    assert RedactToken(TOKEN).filter(record)
    line = JsonFormatter().format(record)
    assert TOKEN not in line
    document = json.loads(line)
    assert document["message"] == "HTTP Request: POST https://api.telegram.org/bot[token]/getMe"
    assert "bot[token]/getMe" in document["exception"]
    assert (document["level"], document["logger"]) == ("INFO", "httpx")
