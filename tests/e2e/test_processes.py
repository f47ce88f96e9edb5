"""The bot as a process: `coalition-bot run` against the sandbox server, and the sandbox chat."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

from bot.sandbox.server import BotApiServer


async def _start(*args: str, env: dict[str, str], stdin: bytes | None = None):
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )


def _environment(server: BotApiServer, tmp_path) -> dict[str, str]:
    return {
        **{name: value for name, value in os.environ.items()
           if name in ("PATH", "HOME", "PYTHONPATH")},
        "NO_PROXY": "127.0.0.1,localhost",
        "TELEGRAM_BOT_TOKEN": server.token,
        "TELEGRAM_API_BASE_URL": server.base_url,
        "DATABASE_PATH": str(tmp_path / "run.db"),
    }


async def test_run_answers_start_and_stops_cleanly_on_sigterm(server: BotApiServer, tmp_path):
    server.add_user(4242, first_name="Alice", language_code="en")
    process = await _start("run", env=_environment(server, tmp_path))
    try:
        server.user_sends(4242, "/start")
        reply = await server.wait_for(
            lambda: next((r for r in server.outbox if r.chat_id == 4242), None), timeout=60)
        assert reply.text.startswith("Hello! This is the coalition's bot")
    finally:
        process.send_signal(signal.SIGTERM)
        _stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    log = stderr.decode()
    assert "handler=general.start" in log and "user=4242" in log
    assert server.token.split(":")[1] not in log


async def test_json_log_has_the_update_fields_and_neither_texts_nor_the_token(
    server: BotApiServer, tmp_path
) -> None:
    """LOG_FORMAT=json at DEBUG, the most a log shows: each line one object with the update
    log's fields, httpx's request lines with the token redacted, and no message text."""
    server.add_user(4242, first_name="Alice", language_code="en")
    secret_text = "Zyxwv-private-words-42"
    env = {**_environment(server, tmp_path), "LOG_FORMAT": "json", "LOG_LEVEL": "debug"}
    process = await _start("run", env=env)
    try:
        for text in ("/start", secret_text):
            seen = len(server.outbox)
            server.user_sends(4242, text)
            await server.wait_for(lambda seen=seen: next(
                (r for r in server.outbox[seen:] if r.chat_id == 4242), None), timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        _stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    log = stderr.decode()
    lines = [json.loads(line) for line in log.splitlines()]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    updates = [line for line in lines if line["logger"] == "coalition.updates"]
    assert (updates[0]["user_id"], updates[0]["handler"]) == (4242, "general.start")
    assert all(isinstance(line["update_id"], int) and line["duration_ms"] >= 0
               and line["level"] == "INFO" for line in updates)
    assert len(updates) == 2
    assert any(line["logger"] == "httpx" and "/bot[token]/getUpdates" in line["message"]
               for line in lines)
    assert server.token not in log and server.token.split(":")[1] not in log
    assert secret_text not in log


async def test_a_bad_log_level_stops_start_up_with_one_line(server: BotApiServer, tmp_path):
    env = {**_environment(server, tmp_path), "LOG_LEVEL": "LOUD"}
    process = await _start("run", env=env)
    _stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert stderr.decode() == ("coalition-bot: LOG_LEVEL: invalid value, one of DEBUG, INFO, "
                               "WARNING, ERROR\n")


async def test_sandbox_chat_from_a_pipe(tmp_path) -> None:
    script = "/start\n/as boris ru\n/settings\n2\nГрузия\n/as you\n/language\n2\n/quit\n"
    process = await _start(
        "sandbox", "--fresh", "--database", str(tmp_path / "sandbox.db"),
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "NO_PROXY": "127.0.0.1"},
        stdin=script.encode(),
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(script.encode()), 120)
    output = stdout.decode()
    assert process.returncode == 0, stderr.decode()
    assert "[bot → you]\n  Hello! This is the coalition's bot" in output
    assert "-- you are now boris" in output
    assert ("[1] Язык  [2] Страна  [3] Город  [4] Часовой пояс  [5] Время дайджеста  "
            "[6] Оповещения") in output
    assert "Страна: Грузия" in output
    assert "[1] English  [2] Русский" in output
    assert "Готово: буду говорить с вами по-русски." in output
