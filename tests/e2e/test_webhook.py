"""`coalition-bot run --webhook`: Telegram's posts with the secret act, any other is refused."""

from __future__ import annotations

import asyncio
import hmac
import os
import signal
import socket
import sys
from types import SimpleNamespace

import aiohttp
import pytest
from tornado.web import HTTPError

from bot.sandbox.server import BotApiServer

SECRET = "s3cret_Webhook-token_0123456789abcdef"
WRONG = "s3cret_Webhook-token_0123456789abcdeX"  # as long as the right one: only content differs
PATH = "/telegram/hook-7f3a"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(server: BotApiServer, tmp_path, port: int, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"], "HOME": str(tmp_path), "NO_PROXY": "127.0.0.1,localhost",
        "TELEGRAM_BOT_TOKEN": server.token, "TELEGRAM_API_BASE_URL": server.base_url,
        "DATABASE_PATH": str(tmp_path / "webhook.db"),
        "WEBHOOK_URL": f"https://bot.example.org{PATH}", "WEBHOOK_PORT": str(port),
        "WEBHOOK_SECRET": SECRET, **extra,
    }


def _start_update(update_id: int, user_id: int) -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "Alice", "language_code": "en"}
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 1_790_000_000, "from": user,
        "chat": {"id": user_id, "type": "private", "first_name": "Alice"}, "text": "/start",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}


async def _post(session: aiohttp.ClientSession, url: str, update: dict,
                secret: str | None) -> int:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with session.post(url, json=update, headers=headers) as response:
        return response.status


async def _until_listening(session: aiohttp.ClientSession, url: str, process) -> None:
    for _ in range(300):
        if process.returncode is not None:
            raise AssertionError("the bot exited before listening")
        try:
            async with session.get(url) as response:  # the webhook answers POST only
                if response.status == 405:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the webhook never listened")


async def test_webhook_acts_on_posts_with_the_secret_and_refuses_others(server, tmp_path):
    for user_id in (4242, 4243, 4244):
        server.add_user(user_id, first_name="Alice", language_code="en")
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--webhook",
        env=_environment(server, tmp_path, port),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    url = f"http://127.0.0.1:{port}{PATH}"
    try:
        await server.wait_for(lambda: server.webhook_url, timeout=60)
        assert server.webhook_url == f"https://bot.example.org{PATH}"
        async with aiohttp.ClientSession() as session:
            await _until_listening(session, url, process)
            assert await _post(session, url, _start_update(1, 4243), None) == 403
            assert await _post(session, url, _start_update(2, 4244), WRONG) == 403
            assert await _post(session, url, _start_update(3, 4244), "") == 403
            assert await _post(session, url, _start_update(4, 4242), SECRET) == 200
            reply = await server.wait_for(
                lambda: next((r for r in server.outbox if r.chat_id == 4242), None), timeout=60)
            assert reply.text.startswith("Hello! This is the coalition's bot")
            # Another path on the same port is not the webhook.
            assert await _post(session, f"http://127.0.0.1:{port}/other", _start_update(5, 4243),
                               SECRET) == 404
    finally:
        process.send_signal(signal.SIGTERM)
        _stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    log = stderr.decode()
    assert process.returncode == 0, log[-3000:]
    assert not [r for r in server.outbox if r.chat_id in (4243, 4244)]
    assert "update=4 user=4242 handler=general.start" in log
    assert "update=1 " not in log and "update=2 " not in log
    assert SECRET not in log and WRONG not in log
    assert server.request_count["getUpdates"] == 0


@pytest.mark.parametrize(
    ("missing", "named"),
    [("WEBHOOK_SECRET", "WEBHOOK_SECRET is not set"), ("WEBHOOK_URL", "WEBHOOK_URL is not set")],
)
async def test_webhook_without_its_settings_exits_2_naming_them(server, tmp_path, missing, named):
    environment = _environment(server, tmp_path, _free_port())
    del environment[missing]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--webhook", env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"coalition-bot: {named}")


@pytest.mark.parametrize(
    ("variable", "value"),
    [("WEBHOOK_SECRET", "has spaces and ünïcode"), ("WEBHOOK_SECRET", "x" * 257),
     ("WEBHOOK_URL", "bot.example.org/hook")],
)
async def test_a_bad_webhook_setting_exits_2_naming_it(server, tmp_path, variable, value):
    environment = _environment(server, tmp_path, _free_port(), **{variable: value})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--webhook", env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"coalition-bot: {variable}: invalid value")
    assert value not in lines[0]


def test_the_secret_is_compared_in_constant_time(monkeypatch) -> None:
    from telegram.ext._utils.webhookhandler import TelegramHandler

    from bot.app.application import _check_secret_in_constant_time

    _check_secret_in_constant_time()
    compared = []
    real = hmac.compare_digest

    def spy(given, expected):
        compared.append((given, expected))
        return real(given, expected)

    monkeypatch.setattr(hmac, "compare_digest", spy)

    def request(secret: str | None) -> SimpleNamespace:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        return SimpleNamespace(request=SimpleNamespace(headers=headers), secret_token=SECRET)

    TelegramHandler._validate_post(request(SECRET))
    for refused in (None, "", WRONG, SECRET[:-1], "ünïcode"):
        with pytest.raises(HTTPError) as raised:
            TelegramHandler._validate_post(request(refused))
        assert raised.value.status_code == 403
    assert len(compared) == 6
    assert all(isinstance(given, bytes) for given, _ in compared)
