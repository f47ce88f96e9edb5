"""What the sandbox keeps of the bot's requests: accepted sends, refusals, answers, files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


@dataclass
class SentRecord:
    """One accepted send or edit, as the user's client would show it."""

    seq: int
    method: str
    chat_id: int
    message_id: int
    text: str | None
    html: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    document: bytes | None  # a document's or a photo's bytes
    filename: str | None
    caption: str | None
    time: float
    edited: bool = False
    entities: list[dict[str, Any]] = field(default_factory=list)


class RejectedRecord(NamedTuple):
    method: str
    chat_id: int | None
    error_code: int
    description: str


class CallbackAnswer(NamedTuple):
    callback_query_id: str
    text: str | None
    show_alert: bool


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    filename: str | None
    mime_type: str | None
