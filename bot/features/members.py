"""Members: who is talking (language, role) and their own settings."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo

from telegram import BotCommandScopeChat
from telegram.error import TelegramError

from bot.conversation.answers import Limit, line_of
from bot.conversation.callbacks import AlertsMenu, LanguageChoice, SettingOpen
from bot.conversation.dialogue import Dialogues, Flow, Invalid, Option, Step
from bot.conversation.menu import command_list, set_chat_commands
from bot.conversation.places import country_name, parse_country, parse_timezone
from bot.conversation.replies import Button, Reply
from bot.conversation.roles import Role
from bot.conversation.session import Session
from bot.conversation.text import has_invisible
from bot.conversation.timeparse import day_options, parse_time
from bot.infra.botlink import BotLink
from bot.infra.clock import Clock
from bot.infra.config import LANGUAGES
from bot.infra.i18n import LANGUAGE_NAMES, Texts, texts
from storage.models import Person, User
from storage.users import Member, UserRepository, up_to_date

log = logging.getLogger(__name__)

CITY = Limit.of(User, "city")
LABEL = Limit.of(User, "label")
_CITY = re.compile(r"^[^\W\d_][\w .,'’()-]*$")
DEFAULT_DIGEST_TIME = time(9, 0)


def digest_time(user: User) -> time:
    return user.digest_time or DEFAULT_DIGEST_TIME


def client_language(telegram_code: str | None) -> str | None:
    """The language of a Telegram client ('ru-RU' → 'ru') if it is one we speak."""
    code = (telegram_code or "").split("-")[0].lower()
    return code if code in LANGUAGES else None


def language_for(user: User | None, telegram_code: str | None, default: str) -> str:
    """Stored choice, else the Telegram client's language, else the configured default."""
    if user is not None and (user.language or user.client_language):
        return user.language or user.client_language
    return client_language(telegram_code) or default


def parse_city(text: str, session: Session, answers: dict[str, Any]) -> str:
    if len(text) > CITY.maximum:
        raise Invalid("invalid.too_long", limit=CITY.maximum, count=len(text))
    city = " ".join(text.split())
    if has_invisible(text) or not _CITY.match(city):
        raise Invalid("invalid.city")
    return city


parse_label = line_of(LABEL)


def parse_country_answer(text: str, session: Session, answers: dict[str, Any]) -> str:
    code = parse_country(text) if len(text) <= 60 else None
    if code is None:
        raise Invalid("invalid.country")
    return code


def parse_timezone_answer(text: str, session: Session, answers: dict[str, Any]) -> str:
    zone = parse_timezone(text) if len(text) <= 60 else None
    if zone is None:
        raise Invalid("invalid.timezone")
    return zone


def parse_time_of_day(text: str, session: Session, answers: dict[str, Any]) -> str:
    return parse_time(text).strftime("%H:%M")


def shown(texts: Texts, person: Person) -> str:
    """A person's label, or "coordinator #N"-like while they have none: never an id."""
    return person.label or texts(f"person.{person.role}", number=person.number)


# A line of the /settings menu another feature shows (with its newline), or "".
SettingsLine = Callable[[Session], Awaitable[str]]


class Members:
    def __init__(
        self, users: UserRepository, dialogues: Dialogues, clock: Clock, link: BotLink, *,
        default_language: str, default_timezone: str,
    ) -> None:
        self._users = users
        self._dialogues = dialogues
        self._clock = clock
        self._link = link
        self._default_language = default_language
        self._default_timezone = default_timezone
        self._settings_lines: list[SettingsLine] = []
        dialogues.register(
            self._setting_flow("country", "settings.ask.country", parse_country_answer),
            self._setting_flow("city", "settings.ask.city", parse_city,
                               question_values=CITY.length_values),
            self._setting_flow("timezone", "settings.ask.timezone", parse_timezone_answer),
            self._setting_flow("digest_time", "settings.ask.digest_time", parse_time_of_day),
            self._setting_flow("label", "settings.ask.label", parse_label,
                               question_values=LABEL.length_values),
        )

    async def session(
        self, tg_id: int, telegram_language: str | None, username: str | None = None
    ) -> Session:
        """The member behind an update, created on first contact."""
        users, language = self._users, client_language(telegram_language)
        member = await users.member(tg_id)
        if member is None or not up_to_date(member.user, language):
            await users.ensure(tg_id, self._clock.now(), language)
            member = await users.member(tg_id)
        assert member is not None
        return replace(self._session(member), username=username)

    async def clear_menu(self, tg_id: int) -> None:
        """Back to the default menu (after /forget, nothing personal is kept, menus included)."""
        try:
            await self._link.bot.delete_my_commands(BotCommandScopeChat(tg_id))
        except TelegramError as error:
            log.info("no commands menu to clear for %s: %s", tg_id, error.message)

    async def session_by_id(self, tg_id: int) -> Session:
        """The session of a known member, for acting on their behalf (menus, notices)."""
        member = await self._users.member(tg_id)
        assert member is not None, tg_id
        return self._session(member)

    def _session(self, member: Member) -> Session:
        language = language_for(member.user, None, self._default_language)
        return Session(user=member.user, texts=texts(language),
                       membership=member.membership, dialogue=member.dialogue)

    async def set_language(self, session: Session, language: str) -> Session:
        if language not in LANGUAGES:
            raise ValueError(language)
        await self._users.update(session.user.tg_id, language=language)
        await self.refresh_menu(session.user.tg_id)
        return await self.reload(session)

    async def refresh_menu(self, tg_id: int) -> None:
        """Set the person's Telegram commands menu to their language and current role."""
        try:
            await set_chat_commands(self._link.bot, await self.session_by_id(tg_id))
        except TelegramError as error:
            # Someone who never opened the bot has no chat to set a menu for.
            log.info("no commands menu for %s: %s", tg_id, error.message)

    async def reload(self, session: Session) -> Session:
        return await self.session_by_id(session.user.tg_id)

    def show_in_settings(self, line: SettingsLine) -> None:
        """Add a feature's line to the /settings menu (digests: when the next one comes); added
        at assembly, as that feature is built after the members it depends on."""
        self._settings_lines.append(line)

    def language_picker(self, texts: Texts, *, from_settings: bool = False) -> Reply:
        """Language buttons; opened from /settings, the choice returns to the settings menu."""
        return Reply(
            texts("language.ask"),
            [[Button(LANGUAGE_NAMES[code], LanguageChoice(code, from_settings))
              for code in LANGUAGES]],
        )

    async def settings_menu(self, session: Session, notice: str | None = None) -> Reply:
        user, t = session.user, session.texts
        body = t(
            "settings.menu",
            language=LANGUAGE_NAMES[t.language],
            country=country_name(user.country, t.language) if user.country
            else t("settings.not_set.country"),
            city=user.city or t("settings.not_set.city"),
            timezone=self.timezone(user),
            digest_time=digest_time(user).strftime("%H:%M"),
        )
        for line in self._settings_lines:
            body += await line(session)
        if session.may(Role.ORGANISER):
            body += t("settings.label", label=user.label or t("settings.not_set.label"))
        buttons = [
            [Button(t("settings.button.language"), SettingOpen("language")),
             Button(t("settings.button.country"), SettingOpen("country"))],
            [Button(t("settings.button.city"), SettingOpen("city")),
             Button(t("settings.button.timezone"), SettingOpen("timezone"))],
            [Button(t("settings.button.digest_time"), SettingOpen("digest_time")),
             Button(t("settings.button.alerts"), AlertsMenu())],
        ]
        if session.may(Role.ORGANISER):
            buttons.append([Button(t("settings.button.label"), SettingOpen("label"))])
        return Reply(f"{notice}\n\n{body}" if notice else body, buttons)

    # --- labels: how coordinators and organisers are shown to each other ---------------------

    async def people(self, tg_ids: Iterable[int]) -> dict[int, Person]:
        """How these people are shown, for texts in several languages (notices): see `shown`."""
        return await self._users.people(tg_ids)

    async def names(self, texts: Texts, tg_ids: Iterable[int]) -> dict[int, str]:
        """Each person as `shown` in one language."""
        return {tg_id: shown(texts, person)
                for tg_id, person in (await self._users.people(tg_ids)).items()}

    async def name(self, texts: Texts, tg_id: int) -> str:
        return (await self.names(texts, [tg_id]))[tg_id]

    async def answered_by(self, texts: Texts, key: str, decider: int | None,
                          **values: object) -> str:
        """An "already answered" text naming who answered by their label (`key`, with
        `person`), or `key`_other ("another coordinator") when they have none: never chosen,
        removed with /forget, or the answer is older than labels. Never an id or a pseudonym,
        and a forgotten person is not looked up again."""
        user = await self._users.get(decider) if decider is not None else None
        if user is None or not user.label:
            return texts(f"{key}_other", **values)
        return texts(key, person=user.label, **values)

    async def welcome(self, tg_id: int,
                      message: Callable[[Texts], str]) -> Callable[[Texts], Reply]:
        """A message to someone who just became a coordinator or an organiser (or greets one):
        while they have no label, it asks them to choose one."""
        user = await self._users.get(tg_id)
        if user is not None and user.label:
            return lambda texts: Reply(message(texts))
        return lambda texts: Reply(
            f"{message(texts)}\n\n{texts('label.prompt')}",
            [[Button(texts("settings.button.label"), SettingOpen("label"))]])

    async def greeting(self, session: Session) -> Reply:
        """/start: what the person can do; a coordinator or organiser without a label is asked
        for one, until they have one."""
        def greet(texts: Texts) -> str:
            return texts("start.greeting", commands=command_list(texts, session))

        if not session.may(Role.ORGANISER):
            return Reply(greet(session.texts))
        return (await self.welcome(session.user.tg_id, greet))(session.texts)

    def timezone(self, user: User) -> str:
        return user.timezone or self._default_timezone

    def today(self, user: User) -> date:
        """The calendar date where the member is."""
        return self._clock.now().astimezone(ZoneInfo(self.timezone(user))).date()

    def day_options(self, session: Session, answers: dict[str, Any]) -> list[Option]:
        """The buttons of a date question: the coming days where the member is."""
        return day_options(self.today(session.user), session.texts)

    async def open_setting(self, session: Session, name: str) -> Reply:
        if name == "language":
            return self.language_picker(session.texts, from_settings=True)
        if name == "label" and not session.may(Role.ORGANISER):
            return Reply(session.texts("not_available"))
        return await self._dialogues.start(session, f"set_{name}")

    def _setting_flow(self, name: str, question: str, parse, **step: Any) -> Flow:
        async def finish(session: Session, answers: dict[str, Any]) -> Reply:
            await self._users.update(session.user.tg_id, **{name: answers[name]})
            session = await self.reload(session)
            return await self.settings_menu(session, session.texts("settings.saved"))

        async def back(session: Session) -> Reply:
            return await self.settings_menu(session)

        return Flow(
            name=f"set_{name}",
            steps=(Step(name, question, parse=parse, back=True, **step),),
            finish=finish,
            on_back=back,
        )
