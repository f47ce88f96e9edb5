"""The delivery queue's line to Telegram: sendMessage (and editMessageText for the channel's
posts), over a pool of its own.

Interactive replies go through python-telegram-bot's Bot; mass sending does not. Bot's
`send_message` builds a full `Message` from every answer, and the queue runs on the event loop
that also handles people's updates: at 1000 sends a second that took 0.93 of a core and made
the p95 reply four times slower. The queue needs only to know whether Telegram accepted the
text, so this posts a pre-encoded form and reads the answer's status: 0.4 of a core at that
rate, and replies as fast as when idle (`make bench-updates`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from http import HTTPStatus
from urllib.parse import urlencode, urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp

FORM = "application/x-www-form-urlencoded"
_GONE = ("chat not found", "user is deactivated")


class Undelivered(Exception):
    """Telegram did not accept a message.

    `status` is the HTTP status of Telegram's answer, 0 if none came; `retry_after` the seconds
    a 429 asks to wait; `uncertain` means the request timed out, so it may have arrived.
    """

    def __init__(self, reason: str, *, status: int = 0, retry_after: float | None = None,
                 uncertain: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason[:200]
        self.status = status
        self.retry_after = retry_after
        self.uncertain = uncertain

    @property
    def recipient_gone(self) -> bool:
        """The person blocked the bot (403) or no longer exists: retrying would not help."""
        return self.status == HTTPStatus.FORBIDDEN or (
            self.status == HTTPStatus.BAD_REQUEST
            and any(gone in self.reason.lower() for gone in _GONE))


class Courier:
    """Posts sendMessage to one bot's Bot API endpoint, at most `pool` requests at once."""

    def __init__(self, token: str, base_url: str, *, pool: int, timeout: float = 5.0) -> None:
        self._url = f"{base_url}{token}/sendMessage"
        self._edit_url = f"{base_url}{token}/editMessageText"
        self._pool = pool
        self._timeout = aiohttp.ClientTimeout(sock_connect=timeout, sock_read=timeout,
                                              connect=timeout + 1)
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        if self._session is None:
            # The proxy is read from the environment once (trust_env would look for ~/.netrc
            # in a worker thread on every request).
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool), timeout=self._timeout,
                proxy=proxy_for(self._url), headers={"Content-Type": FORM})

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def send(self, chat_id: int, text: str, reply_markup: str | None = None) -> None:
        """Send Telegram-HTML `text` (and a keyboard's JSON); raise Undelivered if refused."""
        await self._post(self._url, b"chat_id=%d&%s" % (chat_id, _encoded(text, reply_markup)))

    async def post(self, chat: str, text: str, reply_markup: str | None = None, *,
                   message_id: int | None = None) -> int:
        """Send `text` to a chat named by its id or @name (the channel), or with `message_id`
        edit that message; the message's id. Raise Undelivered if refused."""
        fields = {"chat_id": chat} | ({} if message_id is None else {"message_id": message_id})
        answer = await self._post(
            self._url if message_id is None else self._edit_url,
            b"%s&%s" % (urlencode(fields).encode(), _encoded(text, reply_markup)))
        return int(json.loads(answer)["result"]["message_id"])

    async def _post(self, url: str, body: bytes) -> bytes:
        if self._session is None:
            raise RuntimeError("the courier is not open")
        try:
            async with self._session.post(url, data=body) as response:
                answer = await response.read()
                status = response.status
        except TimeoutError as error:
            raise Undelivered("timed out", uncertain=True) from error
        except aiohttp.ClientError as error:
            raise Undelivered(f"network: {error!r}") from error
        if status != HTTPStatus.OK:
            raise _refusal(status, answer)
        return answer


@lru_cache(maxsize=32)
def _encoded(text: str, reply_markup: str | None) -> bytes:
    """The form of a message without its chat: one broadcast's rows all share it."""
    fields = {"text": text, "parse_mode": "HTML"}
    if reply_markup is not None:
        fields["reply_markup"] = reply_markup
    return urlencode(fields).encode()


def _refusal(status: int, answer: bytes) -> Undelivered:
    try:
        data = json.loads(answer)
        description = str(data.get("description") or "")
        retry_after = (data.get("parameters") or {}).get("retry_after")
    except (ValueError, AttributeError):
        description, retry_after = "", None
    if not description:
        try:
            description = HTTPStatus(status).phrase
        except ValueError:
            description = "unknown error"
    return Undelivered(f"{status}: {description}", status=status,
                       retry_after=None if retry_after is None else float(retry_after))


def proxy_for(url: str) -> str | None:
    """The proxy HTTP(S)_PROXY names for `url`, unless NO_PROXY exempts its host."""
    parts = urlsplit(url)
    if proxy_bypass(parts.hostname or ""):
        return None
    return getproxies().get(parts.scheme)
