"""Bot API error answers and the errors (and slowness) a test makes the sandbox give on purpose."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BLOCKED_DESCRIPTION = "Forbidden: bot was blocked by the user"
CHAT_NOT_FOUND_DESCRIPTION = "Bad Request: chat not found"
NOT_MODIFIED_DESCRIPTION = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)

# Methods that act on a chat: a user who blocked the bot makes them fail with 403.
_BLOCKABLE_METHODS = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "sendChatAction", "editMessageText",
     "editMessageReplyMarkup"}
)


class ApiError(Exception):
    """An error answer of the Bot API; the HTTP status equals ``error_code``."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass
class _Injection:
    method: str
    chat_id: int | None
    error: ApiError
    remaining: int | None


class ErrorInjection:
    """Injected errors, blocked users and held chats, checked before every Bot API call."""

    def __init__(self) -> None:
        self._injections: list[_Injection] = []
        self._blocked: set[int] = set()
        self._holds: dict[int, asyncio.Event] = {}
        # Requests to a held chat that wait for release(), by chat.
        self.held: Counter[int] = Counter()

    def inject_error(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        times: int | None = 1,
    ) -> None:
        """Fail the next ``times`` calls of ``method`` (to ``chat_id``); None = until cleared."""
        if times is not None and times < 1:
            raise ValueError("times must be positive or None")
        if error_code == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        elif description is None:
            description = {
                400: CHAT_NOT_FOUND_DESCRIPTION,
                403: BLOCKED_DESCRIPTION,
                409: "Conflict: terminated by other getUpdates request",
            }.get(error_code, f"Error {error_code}")
        error = ApiError(error_code, description, retry_after)
        self._injections.append(_Injection(method, chat_id, error, times))

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: every send to them fails with 403 from now on."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def hold(self, chat_id: int) -> None:
        """Answer no request to `chat_id` until release(chat_id): Telegram being slow."""
        self._holds.setdefault(chat_id, asyncio.Event())

    def release(self, chat_id: int) -> None:
        gate = self._holds.pop(chat_id, None)
        if gate is not None:
            gate.set()

    async def _until_released(self, chat_id: int | None, counted: Callable[[], None]) -> None:
        """Wait while `chat_id` is held; `counted()` once this request counts in `self.held`."""
        gate = self._holds.get(chat_id) if chat_id is not None else None
        if gate is None:
            return
        self.held[chat_id] += 1
        counted()
        try:
            await gate.wait()
        finally:
            self.held[chat_id] -= 1

    def clear_errors(self) -> None:
        """Forget injected errors and blocks."""
        self._injections.clear()
        self._blocked.clear()

    def _check_injected(self, method: str, chat_id: int | None) -> None:
        match = next(
            (
                injection
                for injection in self._injections
                if injection.method.lower() == method.lower()
                and (injection.chat_id is None or injection.chat_id == chat_id)
            ),
            None,
        )
        if match is not None:
            if match.remaining is not None:
                match.remaining -= 1
                if match.remaining <= 0:
                    self._injections.remove(match)
            raise match.error
        if chat_id in self._blocked and method in _BLOCKABLE_METHODS:
            raise ApiError(403, BLOCKED_DESCRIPTION)
