"""Messages the bot starts to a few people (applications, outcomes), via the delivery queue."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from bot.conversation.replies import Reply, keyboard
from bot.infra.config import LANGUAGES
from bot.infra.delivery import DeliveryQueue
from bot.infra.i18n import Texts, texts
from storage.deliveries import Topic
from storage.users import UserRepository


class Notices:
    def __init__(
        self, users: UserRepository, delivery: DeliveryQueue, *, default_language: str
    ) -> None:
        self._users = users
        self._delivery = delivery
        self._default_language = default_language

    async def send(
        self, tg_ids: Iterable[int], render: Callable[[Texts], Reply], *, kind: str = "notice",
        author_id: int | None = None,
    ) -> None:
        """Queue one message per person, each in that person's language.

        Rows are written in the caller's transaction, so the notice goes out if and only if
        the action that caused it is saved.
        """
        ids = sorted(set(tg_ids))
        if not ids:
            return
        languages = await self._users.languages(ids, self._default_language)
        by_language: dict[str, list[int]] = defaultdict(list)
        for tg_id in ids:
            if tg_id in languages:
                by_language[languages[tg_id]].append(tg_id)
        for language, recipients in sorted(by_language.items()):
            reply = render(texts(language))
            await self._delivery.enqueue(
                kind=kind, text=reply.text, reply_markup=keyboard(reply),
                recipients=recipients, author_id=author_id, audience="direct",
            )

    async def each(
        self, tg_ids: Iterable[int], render: Callable[[Texts], Reply], *, audience: str,
        kind: str = "notice",
    ) -> int:
        """Queue one broadcast in which each person's copy (text and buttons) is in their
        language, so that one status message can follow it; its id. `audience` only labels it.
        """
        languages = await self._users.languages(sorted(set(tg_ids)), self._default_language)
        copies = {}
        for language in sorted(set(languages.values())):
            reply = render(texts(language))
            markup = keyboard(reply)
            copies[language] = (reply.text, markup.to_json() if markup else None)
        return await self._delivery.enqueue(
            kind=kind, text="", audience=audience,
            recipients=((tg_id, *copies[language]) for tg_id, language in languages.items()))

    async def broadcast(
        self, audience: str, render: Callable[[Texts], Reply], *, kind: str,
        topic: Topic | None = None,
    ) -> None:
        """Queue a message to an audience resolved in SQL, written once per language: each
        member gets it in theirs (`audience@language`), nobody is loaded into memory."""
        for language in LANGUAGES:
            reply = render(texts(language))
            await self._delivery.enqueue(
                kind=kind, audience=f"{audience}@{language}", text=reply.text,
                reply_markup=keyboard(reply), topic=topic,
            )
