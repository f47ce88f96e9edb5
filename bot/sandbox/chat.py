"""`coalition-bot sandbox`: the sandbox server, the real bot polling it, and a terminal chat."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from pydantic import SecretStr

from bot.app.application import build_application, polling
from bot.infra.config import Settings
from bot.sandbox.formatting import typed_markup
from bot.sandbox.keyboards import user_requests
from bot.sandbox.records import SentRecord
from bot.sandbox.server import BotApiServer
from storage.database import SqliteDatabase
from storage.schema import migrate
from storage.updates import UpdateRepository

YOU = "you"
FIRST_USER_ID = 1001
HELP = (
    "Type as the current user; *bold*, _italic_ and [text](https://…) are formatted.\n"
    "/as NAME [en|ru] switches to (or creates) a user; /who lists them; /quit leaves.\n"
    "You start as 'you', a coordinator.\n"
    "Buttons: a number N presses button [N] if the bot's latest message to you has one;\n"
    "otherwise N is sent as text. #N always presses button [N] of the newest message with\n"
    "buttons. A leading ' sends the rest as text: '3 sends 3, '/quit sends /quit.\n"
    "A 'choose a person' keyboard button: /pick lists the people to choose from, then N picks.\n"
    "A pasted https://t.me/<bot>?start=<payload> link sends /start <payload>, as Telegram does."
)
TEXT_MARK = "'"
# Up to nine digits: a longer run of digits is text (an id, a phone number), never a button.
_NUMBER = re.compile(r"[0-9]{1,9}")
_FORCED_PRESS = re.compile(r"#([0-9]{1,9})")
# A pasted deep link: Telegram opens the bot's chat and sends "/start <payload>" for the person.
_DEEP_LINK = re.compile(r"(?:https?://)?t\.me/([A-Za-z0-9_]{4,32})\?start=([A-Za-z0-9_-]{1,64})")


class TerminalChat:
    """People typing to the bot through the sandbox server, one line at a time."""

    def __init__(self, server: BotApiServer, files: Path, out: TextIO | None = None,
                 personas: Path | None = None) -> None:
        self.server = server
        self.files = files
        self.out = out if out is not None else sys.stdout
        # Where the personas are remembered, so that a restarted sandbox on the same database
        # has the same people with the same ids.
        self.personas = personas
        self.people: dict[str, int] = {}
        self.languages: dict[str, str] = {}
        self.current = YOU
        self._printed = 0
        self._answers_printed = 0
        # The request_id of the user picker /pick opened: the next number chooses a person.
        self._picking: int | None = None
        if personas is not None and personas.exists():
            for name, persona in json.loads(personas.read_text(encoding="utf-8")).items():
                self._register(name, persona["id"], persona["language"])
        self.add_person(YOU, "en")

    def add_person(self, name: str, language: str) -> int:
        if name not in self.people:
            self._register(name, FIRST_USER_ID + len(self.people), language)
            self._remember()
        return self.people[name]

    def _register(self, name: str, tg_id: int, language: str) -> None:
        self.people[name] = tg_id
        self.languages[name] = language
        self.server.add_user(tg_id, first_name=name.capitalize(), username=name,
                             language_code=language)

    def _remember(self) -> None:
        if self.personas is None:
            return
        self.personas.parent.mkdir(parents=True, exist_ok=True)
        self.personas.write_text(json.dumps(
            {name: {"id": tg_id, "language": self.languages[name]}
             for name, tg_id in self.people.items()}, ensure_ascii=False, indent=1,
        ), encoding="utf-8")

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def handle(self, line: str) -> bool:
        """Act on one typed line; False to quit."""
        line = line.strip()
        if not line:
            return True
        forced_press = _FORCED_PRESS.fullmatch(line)
        picking, self._picking = self._picking, None
        if picking is not None and _NUMBER.fullmatch(line):
            self.pick_person(picking, int(line))
        elif line == "/pick":
            self.open_picker()
        elif line.startswith(TEXT_MARK):
            self.send(line.removeprefix(TEXT_MARK).strip())
        elif line == "/quit":
            return False
        elif line == "/who":
            self.say(", ".join(f"{name} ({tg_id})" for name, tg_id in self.people.items()))
        elif line.startswith("/as "):
            name, *language = line[4:].split()
            self.add_person(name.lower(), language[0] if language else "en")
            self.current = name.lower()
            self.say(f"-- you are now {self.current}")
        elif link := _DEEP_LINK.fullmatch(line):
            self.open_link(*link.groups())
        elif forced_press:
            self.press(int(forced_press.group(1)))
        elif _NUMBER.fullmatch(line) and self.presses_a_button(int(line)):
            self.press(int(line))
        else:
            self.send(line)
        return True

    def open_link(self, bot_username: str, payload: str) -> None:
        if bot_username.lower() != self.server.bot_user["username"].lower():
            self.say(f"-- that link opens @{bot_username}, not this bot")
            return
        self.say(f"-- opened the link: /start {payload}")
        self.send(f"/start {payload}")

    def send(self, text: str) -> None:
        if not text:
            self.say("-- nothing to send")
            return
        self.server.user_sends(self.people[self.current], *typed_markup(text))

    def keyboard(self, latest_only: bool = False) -> tuple[int, list[dict[str, Any]]] | None:
        """The id and buttons of the bot's newest message with buttons in the current chat;
        with ``latest_only``, only if that is the bot's latest message there."""
        chat_id = self.people[self.current]
        mine = sorted(
            ((message_id, message) for (chat, message_id), message in self.server.messages.items()
             if chat == chat_id),
            key=lambda item: item[0],
        )
        for message_id, message in reversed(mine):
            buttons = _buttons(message.get("reply_markup"))
            if buttons:
                return message_id, buttons
            if latest_only:
                return None
        return None

    def presses_a_button(self, number: int) -> bool:
        """Whether a bare number presses a button: the bot's latest message has that button."""
        keyboard = self.keyboard(latest_only=True)
        return keyboard is not None and 1 <= number <= len(keyboard[1])

    def press(self, number: int) -> None:
        keyboard = self.keyboard()
        if keyboard is None:
            self.say("-- no buttons to press")
            return
        message_id, buttons = keyboard
        if not 1 <= number <= len(buttons):
            self.say(f"-- choose #1 to #{len(buttons)}")
            return
        button = buttons[number - 1]
        if "callback_data" not in button:
            self.say(f"-- [{number}] {button['text']} is not a button the sandbox can press")
            return
        self.say(f"-- pressed [{number}] {button['text']}")
        self.server.user_presses(self.people[self.current], message_id, button["callback_data"])

    def open_picker(self) -> None:
        """Press the user-picker button of the reply keyboard the bot left here: list the
        people it offers, numbered, for the next line to choose."""
        pickers = user_requests(self.server.reply_keyboards.get(self.people[self.current]))
        if not pickers:
            self.say("-- no 'choose a person' button to press")
            return
        text, request = pickers[0]
        self._picking = request["request_id"]
        self.say(f"-- pressed [{text}]; choose a person (type the number):")
        for number, (name, tg_id) in enumerate(self.people.items(), 1):
            self.say(f"   [{number}] {name} ({tg_id})")

    def pick_person(self, request_id: int, number: int) -> None:
        names = list(self.people)
        if not 1 <= number <= len(names):
            self.say(f"-- choose 1 to {len(names)}")
            return
        name = names[number - 1]
        self.say(f"-- chose {name}")
        self.server.user_shares_users(self.people[self.current], request_id, [self.people[name]])

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
            path = _unused(self.files / (record.filename or f"file-{record.seq}"))
            path.write_bytes(record.document)
            body = f"{body}\n📎 saved {path}".strip()
        lines = [head, *("  " + line for line in body.splitlines())]
        buttons = _buttons(record.reply_markup)
        if buttons:
            lines.append("  " + "  ".join(
                f"[{number}] {button['text']}" for number, button in enumerate(buttons, 1)
            ))
            last = len(buttons)
            numbers = "1" if last == 1 else f"1-{last}"
            forced = "#1" if last == 1 else f"#1-#{last}"
            lines.append(f"  (type {numbers} or {forced} to press; {TEXT_MARK}N sends N as text)")
        for text, _request in user_requests(record.reply_markup):
            lines.append(f"  [{text}] (type /pick to choose a person)")
        return "\n".join(lines)


def _unused(path: Path) -> Path:
    """``path``, or the first of name-2.ext, name-3.ext… not taken: a file saved earlier
    (the same event's calendar before an edit) is never overwritten."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


def _buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [button for row in (markup or {}).get("inline_keyboard", []) for button in row]


def _read_lines(
    source: TextIO, queue: asyncio.Queue[str | None], loop: asyncio.AbstractEventLoop
) -> None:
    for line in source:
        loop.call_soon_threadsafe(queue.put_nowait, line)
    loop.call_soon_threadsafe(queue.put_nowait, None)


async def _print_forever(chat: TerminalChat) -> None:
    """Print what the bot sends on its own (broadcasts, reminders) as it arrives."""
    while True:
        with contextlib.suppress(TimeoutError):
            await chat.server.wait_for(lambda: len(chat.server.outbox) > chat._printed, 3600)
        chat.print_new()


async def run_sandbox(
    settings: Settings,
    database: str | Path,
    fresh: bool = False,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Run the sandbox until /quit or the end of its input (standard input by default)."""
    database_path = Path(database)
    personas = database_path.with_name(f"{database_path.stem}-personas.json")
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            database_path.with_name(database_path.name + suffix).unlink(missing_ok=True)
        personas.unlink(missing_ok=True)
    server = BotApiServer(first_update_id=await _last_update_id(database_path) + 1)
    await server.start()
    chat = TerminalChat(server, database_path.parent / "sandbox-files", stdout, personas)
    log_path = database_path.with_name("sandbox.log")
    settings = settings.model_copy(update={
        "telegram_bot_token": SecretStr(server.token),
        "telegram_api_base_url": server.base_url,
        "telegram_file_base_url": server.file_base_url,
        "database_path": database_path,
        "coordinator_ids": settings.coordinator_ids | {chat.people[YOU]},
    })
    application = build_application(settings)
    try:
        with _logging_to(log_path):
            chat.say(f"Logs: {log_path}")
            async with polling(application):
                await _converse(chat, server, application.update_processor,
                                stdin if stdin is not None else sys.stdin)
    finally:
        await server.stop()
    return 0


@contextlib.contextmanager
def _logging_to(path: Path) -> Iterator[None]:
    """Write the log to ``path`` instead of the console, where its lines would be printed
    between the chat's. Handlers that do not print to the console (a test's) stay."""
    root = logging.getLogger()
    console = [handler for handler in root.handlers if type(handler) is logging.StreamHandler]
    file = logging.FileHandler(path, encoding="utf-8")
    file.setFormatter(console[0].formatter if console else None)
    for handler in console:
        root.removeHandler(handler)
    root.addHandler(file)
    try:
        yield
    finally:
        root.removeHandler(file)
        file.close()
        for handler in console:
            root.addHandler(handler)


async def _last_update_id(database_path: Path) -> int:
    """The highest update id the database has already acted on; 0 for a new database.

    Updates must be numbered above it: the bot drops an update whose id it has seen, so a
    restarted sandbox counting from 1 again would have everything typed ignored.
    """
    database = SqliteDatabase(database_path)
    await database.open()
    try:
        await migrate(database)
        return await UpdateRepository(database).latest_id()
    finally:
        await database.close()


async def _converse(
    chat: TerminalChat, server: BotApiServer, processor, source: TextIO
) -> None:
    chat.say(f"coalition-bot sandbox\n{HELP}")
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    threading.Thread(
        target=_read_lines, args=(source, lines, asyncio.get_running_loop()), daemon=True
    ).start()
    printer = asyncio.create_task(_print_forever(chat))
    try:
        while True:
            line = await lines.get()
            queued = server.last_update_id
            if line is None or not chat.handle(line):
                break
            # Piped input waits for each answer, as a person reading the replies would; a line
            # that sent the bot nothing (/who, /as) has no answer to wait for.
            if server.last_update_id > queued:
                await processor.wait_processed(server.last_update_id)
            chat.print_new()
    finally:
        printer.cancel()
        chat.print_new()
