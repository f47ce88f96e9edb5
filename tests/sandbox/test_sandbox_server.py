"""The sandbox Bot API server, exercised through python-telegram-bot's real Bot."""

import asyncio
import datetime as dt
import json
import os
import signal
import sys
from pathlib import Path

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.sandbox.bot_methods import command_key
from bot.sandbox.formatting import parse_html
from bot.sandbox.server import BotApiServer

ALICE = 42
BOB = 43
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
async def server():
    server = BotApiServer()
    await server.start()
    server.add_user(ALICE, first_name="Alice", username="alice", language_code="en")
    server.add_user(BOB, first_name="Bob", username="bob", language_code="ru")
    yield server
    await server.stop()


@pytest.fixture
async def bot(server: BotApiServer):
    async with Bot(
        server.token, base_url=server.base_url, base_file_url=server.file_base_url
    ) as bot:
        yield bot


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d)] for d in data])


async def test_get_me_describes_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.is_bot
    assert me.username == "coalition_sandbox_bot"


async def test_wrong_token_is_unauthorized(server: BotApiServer) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=server.base_url):
            pass


async def test_plain_message_is_stored_and_returned(server: BotApiServer, bot: Bot) -> None:
    first = await bot.send_message(ALICE, "Hello")
    second = await bot.send_message(ALICE, "  again \n")
    assert (first.message_id, second.message_id) == (1, 2)
    assert second.text == "again"
    assert first.chat.id == ALICE and first.from_user.is_bot
    record = server.outbox[0]
    assert (record.method, record.chat_id, record.message_id, record.text) == (
        "sendMessage",
        ALICE,
        1,
        "Hello",
    )
    assert not record.edited
    assert server.messages[(ALICE, 2)]["text"] == "again"
    assert server.request_count["sendMessage"] == 2


async def test_html_message_is_stored_as_plain_text_with_entities(
    server: BotApiServer, bot: Bot
) -> None:
    html = (
        '<b>Need</b> &amp; <a href="https://example.org/?a=1&amp;b=2">link</a> &#128512; &lt;x&gt;'
    )
    message = await bot.send_message(ALICE, html, parse_mode=ParseMode.HTML)
    assert message.text == "Need & link 😀 <x>"
    record = server.outbox[-1]
    assert record.text == message.text
    assert record.html == html
    assert record.parse_mode == "HTML"
    bold, link = message.entities
    assert (bold.type, bold.offset, bold.length) == ("bold", 0, 4)
    assert (link.type, link.offset, link.length, link.url) == (
        "text_link",
        7,
        4,
        "https://example.org/?a=1&b=2",
    )


def test_html_entity_offsets_count_utf16_units() -> None:
    text, entities = parse_html('😀 <i>да</i>\n<pre><code class="language-py">x</code></pre>')
    assert text == "😀 да\nx"
    assert entities == [
        {"type": "italic", "offset": 3, "length": 2},
        {"type": "pre", "language": "py", "offset": 6, "length": 1},
    ]


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        "<b>unclosed",
        "<b>bold</i>",
        "closing only</b>",
        "a < b",
        "a <3",
        "Tom &foo; Jerry",
        "Tom & Jerry",
        '<span class="x">no spoiler</span>',
        "<a>no href</a>",
        "<br/>",
    ],
)
async def test_html_that_telegram_rejects_is_rejected(
    server: BotApiServer, bot: Bot, html: str
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(ALICE, html, parse_mode=ParseMode.HTML)
    assert server.outbox == []
    assert server.rejected[-1].error_code == 400
    assert server.rejected[-1].method == "sendMessage"


async def test_bare_markup_characters_are_fine_without_parse_mode(bot: Bot) -> None:
    message = await bot.send_message(ALICE, "a < b & c")
    assert message.text == "a < b & c"


@pytest.mark.parametrize("text", ["", "   ", "<b> </b>"])
async def test_empty_text_is_rejected(bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(ALICE, text, parse_mode=ParseMode.HTML)


async def test_text_length_limit_is_4096_code_points_after_parsing(
    server: BotApiServer, bot: Bot
) -> None:
    await bot.send_message(ALICE, "я" * 4096)
    await bot.send_message(ALICE, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    await bot.send_message(ALICE, "&lt;" * 4096, parse_mode=ParseMode.HTML)
    sent = await bot.send_message(ALICE, "😀" * 4096)  # 8,192 UTF-16 units, as Telegram takes
    assert sent.text == "😀" * 4096
    edited = await bot.edit_message_text("<i>" + "é" * 4096 + "</i>", ALICE, sent.message_id,
                                         parse_mode=ParseMode.HTML)
    assert edited.entities[0].length == 4096
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(ALICE, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(ALICE, "😀" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.edit_message_text("😀" * 4097, ALICE, sent.message_id)
    assert len(server.outbox) == 5


async def test_callback_data_limit_is_64_bytes(server: BotApiServer, bot: Bot) -> None:
    fits = "я" * 32  # 64 bytes
    message = await bot.send_message(ALICE, "Pick", reply_markup=keyboard(fits, "need:1"))
    assert message.reply_markup == keyboard(fits, "need:1")
    stored = server.messages[(ALICE, message.message_id)]["reply_markup"]
    assert stored["inline_keyboard"][1][0] == {"text": "need:1", "callback_data": "need:1"}
    assert server.outbox[-1].reply_markup == stored
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(ALICE, "Pick", reply_markup=keyboard("я" * 32 + "x"))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(ALICE, "Pick", reply_markup=keyboard("x" * 65))


async def test_button_without_text_or_action_is_rejected(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await bot.send_message(
            ALICE, "Pick", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Plain")]])
        )
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await bot.send_message(ALICE, "Pick", reply_markup=keyboard(""))


async def test_edit_message_text_changes_state(server: BotApiServer, bot: Bot) -> None:
    sent = await bot.send_message(ALICE, "Draft", reply_markup=keyboard("a"))
    edited = await bot.edit_message_text(
        "<i>Final</i>",
        chat_id=ALICE,
        message_id=sent.message_id,
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard("b"),
    )
    assert edited.text == "Final"
    assert edited.edit_date is not None
    state = server.messages[(ALICE, sent.message_id)]
    assert state["text"] == "Final"
    assert state["entities"] == [{"type": "italic", "offset": 0, "length": 5}]
    assert state["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "b"
    record = server.outbox[-1]
    assert (record.method, record.edited, record.text) == ("editMessageText", True, "Final")

    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "<i>Final</i>",
            chat_id=ALICE,
            message_id=sent.message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard("b"),
        )
    # Editing the text without a markup removes the keyboard, as on Telegram.
    await bot.edit_message_text("Done", chat_id=ALICE, message_id=sent.message_id)
    assert "reply_markup" not in server.messages[(ALICE, sent.message_id)]
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=ALICE, message_id=999)


async def test_edit_reply_markup_and_delete(server: BotApiServer, bot: Bot) -> None:
    sent = await bot.send_message(ALICE, "Pick", reply_markup=keyboard("a"))
    edited = await bot.edit_message_reply_markup(ALICE, sent.message_id)
    assert edited.reply_markup is None
    assert server.outbox[-1].method == "editMessageReplyMarkup"
    assert server.outbox[-1].edited
    assert await bot.delete_message(ALICE, sent.message_id)
    assert (ALICE, sent.message_id) not in server.messages
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ALICE, sent.message_id)


async def test_send_document_round_trips_bytes(server: BotApiServer, bot: Bot) -> None:
    content = "name,city\nМир,Berlin\n".encode()
    message = await bot.send_document(
        ALICE, content, filename="needs.csv", caption="<b>Export</b>", parse_mode=ParseMode.HTML
    )
    assert message.document.file_name == "needs.csv"
    assert message.document.file_size == len(content)
    assert message.caption == "Export"
    record = server.outbox[-1]
    assert (record.method, record.document, record.filename, record.caption) == (
        "sendDocument",
        content,
        "needs.csv",
        "Export",
    )
    again = await bot.send_document(BOB, message.document.file_id)
    assert server.outbox[-1].document == content
    assert again.document.file_unique_id == message.document.file_unique_id
    downloaded = await (await bot.get_file(message.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == content
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(ALICE, content, filename="x.csv", caption="x" * 1025)
    await bot.send_document(ALICE, content, filename="x.csv", caption="😀" * 1024)
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(ALICE, content, filename="x.csv", caption="😀" * 1025)


async def test_commands_are_kept_per_scope_and_language(server: BotApiServer, bot: Bot) -> None:
    default = [BotCommand("start", "Start"), BotCommand("help", "Help")]
    russian = [BotCommand("start", "Начать")]
    chat_scope = BotCommandScopeChat(ALICE)
    await bot.set_my_commands(default)
    await bot.set_my_commands(russian, scope=BotCommandScopeAllPrivateChats(), language_code="ru")
    await bot.set_my_commands([BotCommand("admin", "Admin")], scope=chat_scope)
    assert server.commands[command_key()] == [
        {"command": "start", "description": "Start"},
        {"command": "help", "description": "Help"},
    ]
    assert server.commands[command_key({"type": "all_private_chats"}, "ru")] == [
        {"command": "start", "description": "Начать"}
    ]
    assert server.commands[command_key({"type": "chat", "chat_id": ALICE})][0]["command"] == (
        "admin"
    )
    assert tuple(await bot.get_my_commands()) == tuple(default)
    assert tuple(
        await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="ru")
    ) == tuple(russian)
    assert await bot.get_my_commands(language_code="de") == ()
    await bot.delete_my_commands(scope=chat_scope)
    assert command_key({"type": "chat", "chat_id": ALICE}) not in server.commands
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_injected_429_raises_retry_after(
    server: BotApiServer, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # silences PTB's deprecation warning for ints
    server.inject_error("sendMessage", chat_id=ALICE, retry_after=2)
    await bot.send_message(BOB, "other chat is not affected")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ALICE, "hi")
    assert caught.value.retry_after == dt.timedelta(seconds=2)
    assert server.rejected[-1] == (
        "sendMessage",
        ALICE,
        429,
        "Too Many Requests: retry after 2",
    )
    await bot.send_message(ALICE, "the injection was used up")
    assert [r.text for r in server.outbox] == [
        "other chat is not affected",
        "the injection was used up",
    ]


async def test_injected_errors_until_cleared(server: BotApiServer, bot: Bot) -> None:
    server.inject_error("sendMessage", error_code=403, times=None)
    for _ in range(3):
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(ALICE, "hi")
    server.clear_errors()
    await bot.send_message(ALICE, "hi")
    server.inject_error("sendMessage", error_code=400, times=2)
    for _ in range(2):
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(BOB, "hi")
    await bot.send_message(BOB, "hi")


async def test_blocked_user_gets_403(server: BotApiServer, bot: Bot) -> None:
    server.block(ALICE)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ALICE, "hi")
    with pytest.raises(Forbidden):
        await bot.send_document(ALICE, b"x", filename="x.txt")
    await bot.send_message(BOB, "hi")
    assert [r.chat_id for r in server.outbox] == [BOB]
    assert [(r.method, r.error_code) for r in server.rejected] == [
        ("sendMessage", 403),
        ("sendDocument", 403),
    ]


async def test_unknown_chat_is_not_found(server: BotApiServer, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(777, "hi")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message("@nobody", "hi")
    assert (await bot.send_message("@alice", "hi")).chat.id == ALICE


async def test_long_poll_returns_as_soon_as_a_user_writes(server: BotApiServer, bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=20))
    await server.wait_for(lambda: server.polls_waiting)
    sent = server.user_sends(ALICE, "/start inv_x")
    updates = await asyncio.wait_for(poll, 5)
    assert loop.time() - started < 5
    (update,) = updates
    assert update.update_id == 1
    assert update.message.text == "/start inv_x"
    assert update.message.from_user.id == ALICE
    assert update.message.from_user.language_code == "en"
    assert update.message.message_id == sent["message_id"]
    (entity,) = update.message.entities
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)

    # Not confirmed yet: delivered again; a higher offset confirms it.
    assert [u.update_id for u in await bot.get_updates()] == [1]
    assert await bot.get_updates(offset=2) == ()
    assert server.pending_updates == []


async def test_long_poll_times_out_empty(server: BotApiServer, bot: Bot) -> None:
    assert await bot.get_updates(timeout=0.2) == ()


async def test_a_new_long_poll_ends_the_previous_one(server: BotApiServer, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=20))
    await server.wait_for(lambda: server.polls_waiting)
    # PTB gives getUpdates a single connection, so a second poller needs its own Bot.
    async with Bot(server.token, base_url=server.base_url) as other:
        second = asyncio.create_task(other.get_updates(timeout=20))
        assert await asyncio.wait_for(first, 5) == ()
        server.user_sends(BOB, "hello")
        (update,) = await asyncio.wait_for(second, 5)
        assert update.message.text == "hello"


async def test_button_press_reaches_the_bot(server: BotApiServer, bot: Bot) -> None:
    sent = await bot.send_message(ALICE, "Pick", reply_markup=keyboard("need:1", "need:2"))
    query_id = server.user_presses(ALICE, sent.message_id, "need:2")
    (update,) = await bot.get_updates(timeout=1)
    query = update.callback_query
    assert (query.id, query.data, query.from_user.id) == (query_id, "need:2", ALICE)
    assert query.message.message_id == sent.message_id
    assert query.message.reply_markup == keyboard("need:1", "need:2")
    assert query.chat_instance
    await bot.answer_callback_query(query_id, text="Saved", show_alert=True)
    assert server.callback_answers == [(query_id, "Saved", True)]
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)


async def test_pressing_a_missing_button_is_impossible(server: BotApiServer, bot: Bot) -> None:
    sent = await bot.send_message(ALICE, "Pick", reply_markup=keyboard("need:1"))
    with pytest.raises(ValueError, match="no button"):
        server.user_presses(ALICE, sent.message_id, "need:999")
    with pytest.raises(ValueError, match="no bot message"):
        server.user_presses(ALICE, 999, "need:1")
    server.user_presses_forged(ALICE, sent.message_id, "need:999")
    server.user_presses_forged(ALICE, 999, "need:1")
    forged, stale = await bot.get_updates()
    assert forged.callback_query.data == "need:999"
    assert stale.callback_query.message.message_id == 999
    assert not stale.callback_query.message.is_accessible


async def test_resent_update_is_delivered_again(server: BotApiServer, bot: Bot) -> None:
    server.user_sends(ALICE, "one")
    server.user_sends(ALICE, "two")
    assert [u.update_id for u in await bot.get_updates()] == [1, 2]
    assert await bot.get_updates(offset=3) == ()
    server.resend_update(2)
    (again,) = await bot.get_updates(offset=3)
    assert (again.update_id, again.message.text) == (2, "two")
    assert await bot.get_updates(offset=3) == ()


async def test_wait_for_returns_the_value_or_times_out(server: BotApiServer, bot: Bot) -> None:
    waiter = asyncio.create_task(
        server.wait_for(lambda: [r for r in server.outbox if r.chat_id == BOB])
    )
    await bot.send_message(ALICE, "not yet")
    await bot.send_message(BOB, "now")
    (record,) = await waiter
    assert record.text == "now"
    with pytest.raises(TimeoutError, match="not yet"):
        await server.wait_for(lambda: len(server.outbox) > 5, timeout=0.1)


async def test_raw_requests_get_telegram_shaped_answers(server: BotApiServer) -> None:
    api = f"{server.base_url}{server.token}"
    async with httpx.AsyncClient(trust_env=False) as client:

        async def call(method: str, **kwargs: object) -> tuple[int, dict]:
            response = await client.post(f"{api}/{method}", **kwargs)
            return response.status_code, response.json()

        assert await call("sendChatAction", data={"chat_id": "42", "action": "typing"}) == (
            200,
            {"ok": True, "result": True},
        )
        status, body = await call("sendMessage", json={"chat_id": ALICE, "text": "json body"})
        assert (status, body["result"]["text"]) == (200, "json body")
        assert await call("noSuchMethod") == (
            404,
            {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
        )
        response = await client.post(f"{server.base_url}1:WRONG/getMe")
        assert (response.status_code, response.json()["description"]) == (401, "Unauthorized")
        malformed = [
            ("sendMessage", {"data": {"chat_id": "42", "text": "x", "reply_markup": "{"}}),
            ("sendMessage", {"data": {"chat_id": "42", "text": "x", "reply_markup": "[1]"}}),
            ("sendMessage", {"data": {"chat_id": "forty-two", "text": "x"}}),
            ("sendMessage", {"data": {"chat_id": "42", "text": "x", "entities": "[{}]"}}),
            ("editMessageText", {"data": {"chat_id": "42", "message_id": "x", "text": "y"}}),
            ("getUpdates", {"data": {"offset": "soon"}}),
            ("sendMessage", {"content": b"{not json", "headers": JSON_HEADERS}),
            ("sendMessage", {"content": b"[1, 2]", "headers": JSON_HEADERS}),
            ("setMyCommands", {"data": {"commands": '{"command": "x"}'}}),
        ]
        for method, kwargs in malformed:
            status, body = await call(method, **kwargs)
            assert status == 400, (method, kwargs, body)
            assert body["ok"] is False
            assert body["error_code"] == 400
            assert body["description"].startswith("Bad Request: ")
    assert [r.text for r in server.outbox] == ["json body"]


JSON_HEADERS = {"Content-Type": "application/json"}


async def test_entry_point_runs_as_a_subprocess(tmp_path: Path) -> None:
    log_path = tmp_path / "sends.jsonl"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.sandbox.cli",
        "--port",
        "0",
        "--log",
        str(log_path),
        "--users",
        "1-3",
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO_ROOT,
        env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
    )
    try:
        assert process.stdout is not None
        ready = await asyncio.wait_for(process.stdout.readline(), 30)
        word, port = ready.decode().split()
        assert word == "READY"
        base = f"http://127.0.0.1:{port}"
        async with Bot("123456:SANDBOX", base_url=f"{base}/bot") as bot:
            message = await bot.send_message(2, "<b>Hi</b> there", parse_mode=ParseMode.HTML)
            with pytest.raises(BadRequest, match=r"(?i)chat not found"):
                await bot.send_message(4, "nobody")
        (line,) = log_path.read_text(encoding="utf-8").splitlines()
        logged = json.loads(line)
        assert {k: logged[k] for k in ("seq", "method", "chat_id", "message_id", "text")} == {
            "seq": 1,
            "method": "sendMessage",
            "chat_id": 2,
            "message_id": message.message_id,
            "text": "Hi there",
        }
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_polling_ptb_application_talks_to_the_sandbox(server: BotApiServer) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_html(
            f"<b>Hello</b>, {context.args[0]}", reply_markup=keyboard("need:1")
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("Noted")
        await update.callback_query.edit_message_text("Thanks")

    app = (
        ApplicationBuilder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.file_base_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed, pattern=r"^need:(\d+)$"))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=10)
        server.user_sends(ALICE, "/start inv_x")
        reply = await server.wait_for(lambda: [r for r in server.outbox if r.chat_id == ALICE])
        assert reply[0].text == "Hello, inv_x"
        server.user_presses(ALICE, reply[0].message_id, "need:1")
        edit = await server.wait_for(lambda: [r for r in server.outbox if r.edited])
        assert edit[0].text == "Thanks"
        assert server.callback_answers[0].text == "Noted"
        await app.updater.stop()
        await app.stop()
    assert server.pending_updates == []
