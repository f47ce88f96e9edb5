"""The Courier: what a refusal carries, and which proxy the environment names."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.infra.courier import Courier, Undelivered, proxy_for


@pytest.fixture
async def telegram_like() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A server answering sendMessage by the chat id: 1 accepts, 2 a 429, 3 a bare 502."""
    bodies: list[bytes] = []

    async def send_message(request: web.Request) -> web.Response:
        bodies.append(await request.read())
        chat_id = (await request.post())["chat_id"]
        if chat_id == "1":
            return web.json_response({"ok": True, "result": {"message_id": 1}})
        if chat_id == "2":
            return web.json_response({"ok": False, "error_code": 429,
                                      "description": "Too Many Requests: retry after 7",
                                      "parameters": {"retry_after": 7}}, status=429)
        return web.Response(status=502, text="<html>Bad Gateway</html>")

    app = web.Application()
    app.router.add_post("/bot1:X/sendMessage", send_message)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/bot", bodies
    await runner.cleanup()


async def test_answers_become_sent_or_undelivered_with_the_reason(
    telegram_like: tuple[str, list[bytes]],
) -> None:
    base_url, bodies = telegram_like
    courier = Courier("1:X", base_url, pool=2)
    await courier.open()
    try:
        await courier.send(1, "<b>Hi</b> & bye", '{"inline_keyboard": []}')
        with pytest.raises(Undelivered) as throttled:
            await courier.send(2, "Hi")
        with pytest.raises(Undelivered) as gateway:
            await courier.send(3, "Hi")
    finally:
        await courier.close()
    assert bodies[0] == (b"chat_id=1&text=%3Cb%3EHi%3C%2Fb%3E+%26+bye&parse_mode=HTML"
                         b"&reply_markup=%7B%22inline_keyboard%22%3A+%5B%5D%7D")
    assert (throttled.value.status, throttled.value.retry_after, throttled.value.reason) == (
        429, 7.0, "429: Too Many Requests: retry after 7")
    assert (gateway.value.status, gateway.value.retry_after, gateway.value.reason) == (
        502, None, "502: Bad Gateway")


def test_the_proxy_comes_from_the_environment_unless_no_proxy_exempts_the_host(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                 "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert proxy_for("https://api.telegram.org/bot1:X/sendMessage") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert proxy_for("https://api.telegram.org/bot1:X/sendMessage") == "http://proxy.example:3128"
    assert proxy_for("http://127.0.0.1:8081/bot1:X/sendMessage") is None
    monkeypatch.setenv("NO_PROXY", "api.telegram.org")
    assert proxy_for("https://api.telegram.org/bot1:X/sendMessage") is None
