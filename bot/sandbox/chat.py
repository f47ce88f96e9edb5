"""`coalition-bot sandbox`: the sandbox server, the real bot polling it, and a terminal chat."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from pathlib import Path

from pydantic import SecretStr

from bot.application import build_application, polling
from bot.config import Settings
from bot.sandbox.server import BotApiServer, SentRecord

YOU = "you"
FIRST_USER_ID = 1001
HELP = (
    "Type as the current user. A number presses that button of the last message with buttons.\n"
    "/as NAME [en|ru] switches to (or creates) a user; /who lists them; /quit leaves.\n"
    "You start as 'you', a coordinator."
)


class TerminalChat:
    """People typing to the bot through the sandbox server, one line at a time."""

    def __init__(self, server: BotApiServer, files: Path, out=sys.stdout) -> None:
        self.server = server
        self.files = files
        self.out = out
        self.people: dict[str, int] = {}
        self.current = YOU
        self._printed = 0
        self._answers_printed = 0
        self.add_person(YOU, "en")

    def add_person(self, name: str, language: str) -> int:
        if name not in self.people:
            self.people[name] = FIRST_USER_ID + len(self.people)
        self.server.add_user(
            self.people[name], first_name=name.capitalize(), username=name, language_code=language
        )
        return self.people[name]

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def handle(self, line: str) -> bool:
        """Act on one typed line; False to quit."""
        line = line.strip()
        if not line:
            return True
        if line == "/quit":
            return False
        if line == "/who":
            self.say(", ".join(f"{name} ({tg_id})" for name, tg_id in self.people.items()))
        elif line.startswith("/as "):
            name, *language = line[4:].split()
            self.add_person(name.lower(), language[0] if language else "en")
            self.current = name.lower()
            self.say(f"-- you are now {self.current}")
        elif line.isdigit():
            self.press(int(line))
        else:
            self.server.user_sends(self.people[self.current], line)
        return True

    def press(self, number: int) -> None:
        chat_id = self.people[self.current]
        with_buttons = [
            (key, message) for key, message in self.server.messages.items()
            if key[0] == chat_id and message.get("reply_markup")
        ]
        if not with_buttons:
            self.say("-- no buttons to press")
            return
        (_, message_id), message = max(with_buttons, key=lambda item: item[0][1])
        buttons = [button for row in message["reply_markup"]["inline_keyboard"] for button in row]
        if not 1 <= number <= len(buttons):
            self.say(f"-- choose 1 to {len(buttons)}")
            return
        self.server.user_presses(chat_id, message_id, buttons[number - 1]["callback_data"])

    def print_new(self) -> None:
        names = {tg_id: name for name, tg_id in self.people.items()}
        for record in self.server.outbox[self._printed:]:
            self._printed += 1
            self.say(self.render(record, names.get(record.chat_id, str(record.chat_id))))
        for _query_id, text, _alert in self.server.callback_answers[self._answers_printed:]:
            self._answers_printed += 1
            if text:
                self.say(f"   (notice) {text}")

    def render(self, record: SentRecord, name: str) -> str:
        head = f"[bot → {name}]" + (" (edited)" if record.edited else "")
        body = record.text or record.caption or ""
        if record.document is not None:
            self.files.mkdir(parents=True, exist_ok=True)
            path = self.files / (record.filename or f"file-{record.seq}")
            path.write_bytes(record.document)
            body = f"{body}\n📎 saved {path}".strip()
        lines = [head, *("  " + line for line in body.splitlines())]
        markup = record.reply_markup or {}
        buttons = [button for row in markup.get("inline_keyboard", []) for button in row]
        if buttons:
            lines.append("  " + "  ".join(
                f"[{number}] {button['text']}" for number, button in enumerate(buttons, 1)
            ))
        return "\n".join(lines)


def _read_lines(queue: asyncio.Queue[str | None], loop: asyncio.AbstractEventLoop) -> None:
    for line in sys.stdin:
        loop.call_soon_threadsafe(queue.put_nowait, line)
    loop.call_soon_threadsafe(queue.put_nowait, None)


async def _print_forever(chat: TerminalChat) -> None:
    """Print what the bot sends on its own (broadcasts, reminders) as it arrives."""
    while True:
        with contextlib.suppress(TimeoutError):
            await chat.server.wait_for(lambda: len(chat.server.outbox) > chat._printed, 3600)
        chat.print_new()


async def run_sandbox(settings: Settings, database: str, fresh: bool = False) -> int:
    """Run the sandbox until /quit or the end of standard input."""
    database_path = Path(database)
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            database_path.with_name(database_path.name + suffix).unlink(missing_ok=True)
    server = BotApiServer()
    await server.start()
    chat = TerminalChat(server, database_path.parent / "sandbox-files")
    settings = settings.model_copy(update={
        "telegram_bot_token": SecretStr(server.token),
        "telegram_api_base_url": server.base_url,
        "telegram_file_base_url": server.file_base_url,
        "database_path": database_path,
        "coordinator_ids": settings.coordinator_ids | {chat.people[YOU]},
    })
    application = build_application(settings)
    try:
        async with polling(application):
            await _converse(chat, server, application.update_processor)
    finally:
        await server.stop()
    return 0


async def _converse(chat: TerminalChat, server: BotApiServer, processor) -> None:
    chat.say(f"coalition-bot sandbox\n{HELP}")
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    threading.Thread(
        target=_read_lines, args=(lines, asyncio.get_running_loop()), daemon=True
    ).start()
    printer = asyncio.create_task(_print_forever(chat))
    try:
        while True:
            line = await lines.get()
            if line is None or not chat.handle(line):
                break
            # Piped input waits for each answer, as a person reading the replies would.
            await processor.wait_processed(server.last_update_id)
            chat.print_new()
    finally:
        printer.cancel()
        chat.print_new()
