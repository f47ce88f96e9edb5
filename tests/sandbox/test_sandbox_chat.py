"""The sandbox's terminal chat, typed into line by line, with the real bot answering."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from pathlib import Path

import pytest

from bot.infra.config import load_settings
from bot.sandbox.chat import TerminalChat, run_sandbox
from bot.sandbox.errors import ApiError
from bot.sandbox.formatting import typed_markup
from bot.sandbox.keyboards import validate_reply_markup
from bot.sandbox.server import BotApiServer
from tests.harness import BotUnderTest

GREETING = "Hello! This is the coalition's bot"
SETTINGS_KEYBOARD = "[1] Language  [2] Country  [3] City  [4] Time zone  [5] Digest time"
ASK_COUNTRY = "Which country are you in?"
ASK_DIGEST_TIME = "At what time of day should digests come?"


class Typist:
    """A person at the sandbox's terminal: types a line, then reads what the chat printed."""

    def __init__(self, bot: BotUnderTest, chat: TerminalChat, out: io.StringIO) -> None:
        self.bot = bot
        self.chat = chat
        self.out = out

    async def type(self, line: str) -> str:
        # A moment between lines, as in the harness: the flood limit counts on the fake clock.
        self.bot.clock.advance(seconds=1)
        printed = len(self.out.getvalue())
        assert self.chat.handle(line)
        await self.bot.settle()
        self.chat.print_new()
        return self.out.getvalue()[printed:]

    def texts_sent(self) -> list[str]:
        """What the current person sent the bot as messages (button presses are not messages)."""
        chat_id = self.chat.people[self.chat.current]
        return [
            message["text"]
            for (chat, _), message in self.bot.server.user_messages.items()
            if chat == chat_id
        ]


@pytest.fixture
def typist(bot: BotUnderTest, server: BotApiServer, tmp_path: Path) -> Typist:
    out = io.StringIO()
    return Typist(bot, TerminalChat(server, tmp_path / "files", out), out)


async def test_a_number_the_latest_keyboard_lacks_is_sent_as_text(typist: Typist) -> None:
    await typist.type("/settings")
    asked = await typist.type("5")
    assert ASK_DIGEST_TIME in asked
    assert "[1] Back" in asked

    # A digest time typed as "9": the question has one button, so 9 is an answer.
    answered = await typist.type("9")
    assert typist.texts_sent()[-1] == "9"
    assert "[bot → you]" in answered
    assert "-- choose" not in answered


async def test_a_number_never_presses_a_button_of_an_older_message(typist: Typist) -> None:
    assert SETTINGS_KEYBOARD in await typist.type("/settings")
    await typist.type("/help")
    replied = await typist.type("2")
    assert typist.texts_sent()[-1] == "2"
    assert ASK_COUNTRY not in replied
    assert "-- pressed" not in replied
    assert "[bot → you]" in replied


async def test_a_hash_presses_the_newest_keyboard_even_under_a_plain_message(
    typist: Typist,
) -> None:
    await typist.type("/settings")
    await typist.type("/help")
    assert "-- choose #1 to #6" in await typist.type("#7")
    pressed = await typist.type("#2")
    assert "-- pressed [2] Country" in pressed
    assert ASK_COUNTRY in pressed
    assert typist.texts_sent() == ["/settings", "/help"]


async def test_a_quote_sends_a_number_the_keyboard_would_take_as_text(typist: Typist) -> None:
    await typist.type("/settings")
    await typist.type("5")
    # "1" alone would press Back; "'1" answers the question with the text 1.
    answered = await typist.type("'1")
    assert typist.texts_sent()[-1] == "1"
    assert "-- pressed" not in answered
    assert ASK_DIGEST_TIME in answered
    assert "-- pressed [1] Back" in await typist.type("1")


async def test_a_quote_sends_sandbox_commands_and_marks_to_the_bot(typist: Typist) -> None:
    await typist.type("'/quit")
    await typist.type("'#2")
    assert typist.texts_sent() == ["/quit", "#2"]
    assert "-- nothing to send" in await typist.type("'")


async def test_printed_keyboards_and_help_say_how_to_press_and_how_to_type_numbers(
    typist: Typist,
) -> None:
    shown = await typist.type("/settings")
    assert SETTINGS_KEYBOARD in shown
    assert "  (type 1-6 or #1-#6 to press; 'N sends N as text)" in shown
    assert "  (type 1 or #1 to press; 'N sends N as text)" in await typist.type("5")


async def sandbox(database: Path, *lines: str, fresh: bool = False) -> str:
    """Run `coalition-bot sandbox` on these typed lines; what it printed."""
    out = io.StringIO()
    script = io.StringIO("".join(f"{line}\n" for line in lines))
    code = await run_sandbox(load_settings(), database, fresh=fresh, stdin=script, stdout=out)
    assert code == 0
    return out.getvalue()


async def test_a_restarted_sandbox_answers_on_the_same_database(tmp_path: Path) -> None:
    database = tmp_path / "sandbox.db"
    first = await sandbox(database, "/start", "/settings", "2", "Georgia", "/quit", fresh=True)
    assert GREETING in first
    assert "Country: Georgia" in first

    # Without --fresh: the bot has acted on update ids 1 to 4 and must not take new ones as
    # re-deliveries of those.
    again = await sandbox(database, "/start", "/settings", "/quit")
    assert GREETING in again
    assert "Country: Georgia" in again
    assert "(type 1-7 or #1-#7 to press" in again

    third = await sandbox(database, "/help", "/quit")
    assert "What I can do for you" in third


async def test_a_user_picker_button_lists_the_personas_to_choose_from(typist: Typist) -> None:
    bot, chat = typist.bot, typist.chat
    await typist.type("/as anna")
    await typist.type("/start")
    await typist.type("/as you")
    assert await bot.services.coordinators.grant(None, chat.people["you"])
    assert "-- no 'choose a person' button to press" in await typist.type("/pick")
    await typist.type("/coordinators")
    asked = await typist.type("#3")
    assert "-- pressed [3] Add" in asked
    assert "  [Choose a person] (type /pick to choose a person)" in asked
    listed = await typist.type("/pick")
    assert "-- pressed [Choose a person]; choose a person (type the number):" in listed
    assert f"   [1] you ({chat.people['you']})" in listed
    assert f"   [2] anna ({chat.people['anna']})" in listed
    chosen = await typist.type("2")
    assert "-- chose anna" in chosen
    assert "Make the Telegram account" in chosen
    assert "-- pressed [1] Yes" in await typist.type("1")
    assert chat.people["anna"] in await bot.services.repos.users.coordinator_ids()
    # The picker is gone once it has served.
    assert chat.people["you"] not in bot.server.reply_keyboards


def test_the_sandbox_refuses_a_user_picker_telegram_would_refuse() -> None:
    picker = {"text": "Choose", "request_users": {"request_id": 1, "user_is_bot": False}}
    assert validate_reply_markup({"keyboard": [[picker]]})
    for request in ({"request_id": "1"}, {"request_id": 2**31},
                    {"request_id": 1, "max_quantity": 11}, {"request_id": 1, "user_is_bot": "no"}):
        with pytest.raises(ApiError):
            validate_reply_markup({"keyboard": [[{"text": "Choose", "request_users": request}]]})
    with pytest.raises(ApiError):
        validate_reply_markup({"keyboard": [[{**picker, "request_contact": True}]]})


async def test_the_log_goes_to_a_file_beside_the_database_not_between_the_chat_lines(
    tmp_path: Path,
) -> None:
    database = tmp_path / "data" / "sandbox.db"
    variables = ("PATH", "HOME", "PYTHONPATH")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "--fresh", "--database", str(database),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**{name: os.environ[name] for name in variables if name in os.environ},
             "NO_PROXY": "127.0.0.1"},
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(b"/start\n/quit\n"), 120)
    assert process.returncode == 0, stderr.decode()
    log = tmp_path / "data" / "sandbox.log"
    printed = stdout.decode() + stderr.decode()
    assert f"Logs: {log}" in printed
    assert GREETING in printed
    assert "started as @coalition_sandbox_bot" in log.read_text(encoding="utf-8")
    assert " INFO " not in printed
    assert "started as" not in printed


async def test_personas_are_remembered_with_the_database(tmp_path: Path) -> None:
    database = tmp_path / "sandbox.db"
    first = await sandbox(database, "/as boris ru", "/as alice", "/settings", "2", "Georgia",
                          "/who", "/quit", fresh=True)
    assert "Country: Georgia" in first
    assert "you (1001), boris (1002), alice (1003)" in first

    again = await sandbox(database, "/who", "/as alice", "/settings", "/quit")
    assert "you (1001), boris (1002), alice (1003)" in again
    # The same alice: the bot knows her country.
    assert "[bot → alice]" in again
    assert "Country: Georgia" in again

    fresh = await sandbox(database, "/who", "/quit", fresh=True)
    assert "you (1001)\n" in fresh
    assert "alice" not in fresh


async def test_typed_formatting_reaches_the_bot_as_entities_and_announce_keeps_it(
    typist: Typist,
) -> None:
    bot, chat = typist.bot, typist.chat
    await typist.type("/as alice")
    await typist.type("/start")
    await typist.type("/as you")
    assert await bot.services.coordinators.grant(None, chat.people["you"])
    await typist.type("/announce")
    await typist.type("*Vigil* on _Friday_, see [details](https://example.org/v)")
    [typed] = [message for (chat_id, _), message in bot.server.user_messages.items()
               if chat_id == chat.people["you"] and message["text"].startswith("Vigil")]
    entities = [
        {"type": "bold", "offset": 0, "length": 5},
        {"type": "italic", "offset": 9, "length": 6},
        {"type": "text_link", "url": "https://example.org/v", "offset": 21, "length": 7},
    ]
    assert typed["text"] == "Vigil on Friday, see details"
    assert typed["entities"] == entities
    assert "-- pressed [1] Everyone" in await typist.type("1")
    assert "-- pressed [8] Skip" in await typist.type("8")  # after the 7 day buttons
    assert "-- pressed [1] Send" in await typist.type("1")
    bot.clock.advance(seconds=61)
    bot.services.delivery.wake()
    [broadcast] = await bot.services.repos.announcements.recent(1)
    await bot.services.delivery.finished(broadcast.id)
    [received] = [record for record in bot.server.outbox if record.chat_id == chat.people[
        "alice"] and record.text == "Vigil on Friday, see details"]
    assert received.entities == entities
    assert "[bot → alice]\n  Vigil on Friday, see details" in await typist.type("/who")


@pytest.mark.parametrize(
    ("typed", "text", "entities"),
    [
        ("snake_case_name, 2*3*4, a * b", "snake_case_name, 2*3*4, a * b", []),
        ("see https://example.org/a_b_c", "see https://example.org/a_b_c", []),
        ("*bold _both_*", "bold both",
         [{"type": "bold", "offset": 0, "length": 9},
          {"type": "italic", "offset": 5, "length": 4}]),
        ("_🙂 hi_ *x*", "🙂 hi x",
         [{"type": "italic", "offset": 0, "length": 5},
          {"type": "bold", "offset": 6, "length": 1}]),
        ("[no scheme](example.org)", "[no scheme](example.org)", []),
    ],
)
def test_typed_markers_become_entities_only_where_a_client_would(
    typed: str, text: str, entities: list[dict[str, object]],
) -> None:
    assert typed_markup(typed) == (text, entities)


async def test_a_file_saved_earlier_is_never_overwritten(typist: Typist, tmp_path: Path) -> None:
    saved = []
    for version in (b"first", b"second", b"third"):
        await typist.bot.application.bot.send_document(
            typist.chat.people["you"], document=version, filename="event-1.ics")
        saved.append(await typist.type("/who"))
    files = tmp_path / "files"
    assert f"📎 saved {files / 'event-1.ics'}" in saved[0]
    assert f"📎 saved {files / 'event-1-2.ics'}" in saved[1]
    assert f"📎 saved {files / 'event-1-3.ics'}" in saved[2]
    assert [(files / name).read_bytes() for name in ("event-1.ics", "event-1-2.ics",
                                                      "event-1-3.ics")] == [b"first", b"second",
                                                                            b"third"]


async def test_a_pasted_deep_link_starts_the_bot_with_its_payload(typist: Typist) -> None:
    opened = await typist.type("https://t.me/coalition_sandbox_bot?start=abc_123-X")
    assert "-- opened the link: /start abc_123-X" in opened
    assert typist.texts_sent() == ["/start abc_123-X"]
    assert "[bot → you]" in opened
    assert "-- that link opens @other_bot, not this bot" in await typist.type(
        "t.me/other_bot?start=abc")
    assert typist.texts_sent() == ["/start abc_123-X"]
