"""End to end: /start, /help, /language, /cancel, fallbacks, errors, menus, re-deliveries."""

from __future__ import annotations

import logging

import pytest

from bot.conversation.roles import COMMANDS, Role
from bot.infra.i18n import texts
from bot.sandbox.bot_methods import command_key
from tests.conftest import COORDINATOR_ID
from tests.e2e.orgs import organiser, seed_organisation
from tests.harness import BotUnderTest, button_labels

EN, RU = texts("en"), texts("ru")


async def test_start_greets_with_the_member_commands(bot: BotUnderTest) -> None:
    alice = bot.person("en")
    reply = await alice.send("/start")
    assert reply.text.startswith("Hello! This is the coalition's bot")
    assert "/settings — Country, city, time zone, digest time" in reply.text
    user = await bot.services.repos.users.get(alice.tg_id)
    assert user is not None and user.language is None and not user.is_coordinator


async def test_start_in_russian_from_the_telegram_client_language(bot: BotUnderTest) -> None:
    boris = bot.person("ru")
    reply = await boris.send("/start")
    assert reply.text.startswith("Здравствуйте! Это бот коалиции")
    assert "/language — Выбрать язык" in reply.text


MEMBER_COMMANDS = [command.name for command in COMMANDS if command.role == Role.MEMBER]
ORGANISER_COMMANDS = [command.name for command in COMMANDS if command.role == Role.ORGANISER]
PRIVILEGED = {"invite", "neednew", "myneeds", "eventnew", "announce", "broadcasts",
              "orgs", "coordinators", "audit", "campaignnew"}


def _listed(text: str) -> list[str]:
    return [line.split(" — ")[0][1:] for line in text.splitlines()
            if line.startswith("/") and " — " in line]


async def test_help_lists_one_line_a_command_for_the_role(bot: BotUnderTest) -> None:
    member = _listed((await bot.person("en").send("/help")).text)
    assert member == MEMBER_COMMANDS
    assert {"start", "help", "needs", "events", "settings", "mydata", "forget"} <= set(member)
    assert PRIVILEGED.isdisjoint(member)
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    assert _listed((await coordinator.send("/help")).text) == [
        c.name for c in COMMANDS if c.name not in ORGANISER_COMMANDS]


def _menu(bot: BotUnderTest, tg_id: int) -> list[str]:
    return [entry["command"] for entry in bot.server.commands[
        command_key({"type": "chat", "chat_id": tg_id})]]


async def test_help_and_menu_list_only_what_each_person_can_use_now(bot: BotUnderTest) -> None:
    member = bot.person("en")
    await member.send("/start")
    olga = await organiser(bot)
    ivan = bot.person("en")
    await ivan.send("/start")
    await seed_organisation(bot, "Closed Circle", ivan, status="suspended")
    anna = bot.person("en", tg_id=COORDINATOR_ID)
    coordinator_only = [c.name for c in COMMANDS if c.name not in ORGANISER_COMMANDS]
    expected = {member: MEMBER_COMMANDS, ivan: MEMBER_COMMANDS,
                olga: [c.name for c in COMMANDS if c.role <= Role.ORGANISER],
                anna: coordinator_only}
    for person, commands in expected.items():
        await bot.services.members.refresh_menu(person.tg_id)
        assert _listed((await person.send("/help")).text) == commands
        assert _menu(bot, person.tg_id) == commands
    await seed_organisation(bot, "Memorial Circle", anna)
    await bot.services.members.refresh_menu(anna.tg_id)
    assert _listed((await anna.send("/help")).text) == [c.name for c in COMMANDS]
    assert _menu(bot, anna.tg_id) == [c.name for c in COMMANDS]


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_organiser_commands_tell_a_member_how_organisations_join(
    bot: BotUnderTest, language: str
) -> None:
    member, ivan = bot.person(language), bot.person(language)
    await seed_organisation(bot, "Closed Circle", ivan, status="suspended")
    for person in (member, ivan):
        for command in ORGANISER_COMMANDS:
            reply = await person.send(f"/{command}")
            assert reply.text == texts(language)("organiser.no_organisation"), command
            assert "/register_org" in reply.text


async def test_language_choice_is_stored_and_used(bot: BotUnderTest) -> None:
    alice = bot.person("en")
    picker = await alice.send("/language")
    assert button_labels(picker.last) == ["English", "Русский"]
    chosen = await alice.press("Русский")
    assert chosen.text == "Готово: буду говорить с вами по-русски."
    assert (await alice.send("/help")).text.startswith("Что я умею")
    user = await bot.services.repos.users.get(alice.tg_id)
    assert user.language == "ru"
    menu = bot.server.commands[_chat_scope(alice.tg_id)]
    assert {"command": "language", "description": "Выбрать язык"} in menu
    back = await alice.press("English", picker.last)
    assert back.text == "Done: I will speak English with you."


async def test_forged_language_button_changes_nothing(bot: BotUnderTest) -> None:
    alice = bot.person("en")
    await alice.send("/language")
    reply = await alice.press_forged("lang:de")
    assert reply.notices == [EN("not_available")]
    assert reply.messages == []
    assert (await bot.services.repos.users.get(alice.tg_id)).language is None


async def test_unknown_command_plain_text_and_stickers_get_polite_answers(
    bot: BotUnderTest,
) -> None:
    alice = bot.person("en")
    assert (await alice.send("/frobnicate")).text == EN("fallback.command")
    assert (await alice.send("hello there")).text == EN("fallback.text")
    sticker = {"message": {
        "message_id": 77, "date": 0, "chat": {"id": alice.tg_id, "type": "private"},
        "from": {"id": alice.tg_id, "is_bot": False, "first_name": "A"},
        "sticker": {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1,
                    "height": 1, "is_animated": False, "is_video": False}}}
    reply = await bot.act(alice, lambda: bot.server.enqueue_update(sticker))
    assert reply.text == EN("fallback.other")


async def test_cancel_outside_a_dialogue(bot: BotUnderTest) -> None:
    reply = await bot.person("ru").send("/cancel")
    assert reply.text == RU("cancel.nothing")


async def test_update_delivered_twice_acts_once(bot: BotUnderTest) -> None:
    alice = bot.person("en")
    await alice.send("/language")
    first = await alice.press("Русский")
    assert len(first.messages) == 1
    again = await bot.redeliver(alice, bot.server.last_update_id)
    assert again.messages == [] and again.notices == []
    assert (await alice.send("/help")).text.startswith("Что я умею")


async def test_an_error_is_apologised_for_and_the_bot_keeps_going(bot: BotUnderTest) -> None:
    alice = bot.person("en")
    bot.server.inject_error("sendMessage", chat_id=alice.tg_id, error_code=400,
                            description="Bad Request: something odd", times=1)
    reply = await alice.send("/help")
    assert reply.texts == [EN("error.generic")]
    assert (await alice.send("/help")).text.startswith("What I can do for you")


async def test_a_failed_button_press_is_apologised_for_in_a_message(bot: BotUnderTest) -> None:
    alice = bot.person("en")
    await alice.send("/language")
    # The handler has answered the press when its reply fails; Telegram refuses a second answer.
    bot.server.inject_error("sendMessage", chat_id=alice.tg_id, error_code=400,
                            description="Bad Request: something odd", times=1)
    reply = await alice.press("Русский")
    assert reply.texts == [RU("error.generic")]


async def test_commands_menus_per_language_and_for_coordinators(bot: BotUnderTest) -> None:
    commands = bot.server.commands
    names = [entry["command"] for entry in commands[command_key(None, "en")]]
    assert names == MEMBER_COMMANDS
    assert commands[command_key(None, "ru")][0]["description"] == RU("command.start")
    assert commands[command_key(None, "")] == commands[command_key(None, "en")]
    coordinator_menu = [entry["command"] for entry in commands[_chat_scope(COORDINATOR_ID)]]
    assert {"orgs", "audit", "coordinators"} <= set(coordinator_menu)
    assert "invite" not in coordinator_menu  # organising nothing, /invite would only say so


def _chat_scope(chat_id: int) -> tuple[str, str]:
    return command_key({"type": "chat", "chat_id": chat_id})


async def test_channel_posts_group_messages_and_edits_are_ignored(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    olga = bot.person("en")
    asked = await olga.send("/register_org")
    typed = bot.server.user_sends(olga.tg_id, "Free Voices")
    await bot.settle()
    sender = bot.server.users[olga.tg_id]
    group = {"id": -100_200, "type": "supergroup", "title": "Volunteers"}
    command = [{"type": "bot_command", "offset": 0, "length": 7}]
    sent_before = len(bot.server.outbox)
    for update in (
        {"channel_post": {"message_id": 1, "date": 1, "text": "/mydata", "entities": command,
                          "chat": {"id": -100_300, "type": "channel", "title": "News"}}},
        {"message": {"message_id": 2, "date": 1, "from": sender, "chat": group,
                     "text": "/mydata", "entities": command}},
        {"edited_message": {**typed, "edit_date": typed["date"] + 5,
                            "text": "Edited after the question moved on"}},
    ):
        bot.server.enqueue_update(update)
    await bot.settle()
    assert bot.server.outbox[sent_before:] == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    dialogue = await bot.services.repos.dialogues.get(olga.tg_id)
    assert dialogue is not None and dialogue.answers["name"] == "Free Voices"
    assert asked.text == EN.plural("org.ask.name", 80, minimum=2)


async def test_a_press_too_old_to_acknowledge_still_gets_its_reply(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    alice = bot.person("en")
    picker = (await alice.send("/language")).last
    bot.server.inject_error("answerCallbackQuery", error_code=400, description=(
        "Bad Request: query is too old and response timeout expired or query ID is invalid"))
    reply = await alice.press("Русский", picker)
    assert reply.text == RU("language.saved")
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_turning_the_page_of_a_message_gone_shows_the_page_anew(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    alice = bot.person("en")
    listing = await alice.send("/needs")
    first_page = "nd:l:0:-:-:-"
    unknown = await bot.act(alice, lambda: bot.server.user_presses_forged(
        alice.tg_id, 424242, first_page))
    assert unknown.text == listing.text and unknown.last.message_id != listing.last.message_id
    bot.server.inject_error("editMessageText", error_code=400,
                            description="Bad Request: message can't be edited")
    too_old = await bot.act(alice, lambda: bot.server.user_presses_forged(
        alice.tg_id, listing.last.message_id, first_page))
    assert too_old.text == listing.text
    assert too_old.last.message_id not in (listing.last.message_id, unknown.last.message_id)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_command_in_the_middle_of_a_dialogue_is_answered_then_the_question_again(
    bot: BotUnderTest,
) -> None:
    olga = bot.person("en")
    asked = await olga.send("/register_org")
    reply = await olga.send("/help")
    assert [text.splitlines()[0] for text in reply.texts] == [
        "What I can do for you:",
        "You are still in the middle of a question; your next message answers it (or /cancel "
        "leaves it):"]
    assert reply.last.text.endswith(asked.text)
    moved_on = await olga.send("Free Voices")
    assert moved_on.text.startswith("Describe the organisation")
    assert len((await olga.send("/cancel")).messages) == 1
    assert len((await olga.send("/help")).messages) == 1
