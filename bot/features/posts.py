"""Coordinators hide a single need or event (SPEC §2) and unhide it: audited, and the posting
organisation's organisers are told. Who sees a post is `Post.visible`, in one place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from bot.conversation.answers import Limit, text_of
from bot.conversation.callbacks import PostHide, PostUnhide
from bot.conversation.dialogue import Dialogues, Flow, Step
from bot.conversation.replies import Button, Reply
from bot.conversation.roles import Role
from bot.conversation.session import Session
from bot.features.notices import Notices
from bot.infra.clock import Clock
from bot.infra.i18n import Html, Texts
from storage.audit import AuditRepository
from storage.database import Database
from storage.events import EventRepository
from storage.models import Post
from storage.needs import NeedRepository
from storage.organisations import OrganisationRepository

Kind = Literal["need", "event"]

HIDE_REASON = Limit.of(Post, "hidden_reason")
parse_hide_reason = text_of(HIDE_REASON)


def moderation_row(t: Texts, kind: Kind, post: Post) -> list[Button]:
    """A coordinator's button on a post's card: Hide, or Unhide when it is hidden."""
    if post.hidden_at is None:
        return [Button(t("button.hide"), PostHide(kind, post.id))]
    return [Button(t("button.unhide"), PostUnhide(kind, post.id))]


def with_hidden_note(t: Texts, text: str, post: Post) -> Html:
    """A card as its organisers and coordinators see it: if hidden, followed by why."""
    if post.hidden_at is None:
        return Html(text)
    return Html(f"{text}\n\n{t('post.hidden_note', reason=post.hidden_reason)}")


class Posts:
    def __init__(
        self, needs_repo: NeedRepository, events_repo: EventRepository,
        orgs_repo: OrganisationRepository, audit_repo: AuditRepository, dialogues: Dialogues,
        notices: Notices, database: Database, clock: Clock,
        event_changed: Callable[[int], Awaitable[None]],
    ) -> None:
        """`event_changed`: told an event's id once it is hidden or unhidden (its post on the
        coalition's channel follows)."""
        self._needs_repo = needs_repo
        self._events_repo = events_repo
        self._orgs_repo = orgs_repo
        self._audit_repo = audit_repo
        self._dialogues = dialogues
        self._notices = notices
        self._database = database
        self._clock = clock
        self._event_changed = event_changed
        dialogues.register(Flow(
            name="hide_post",
            steps=(Step("reason", "post.ask.hide_reason", parse=parse_hide_reason,
                        question_values=HIDE_REASON.length_values),),
            finish=self._hide))

    def _repo(self, kind: Kind) -> NeedRepository | EventRepository:
        return self._needs_repo if kind == "need" else self._events_repo

    async def begin_hide(self, session: Session, kind: Kind, post_id: int) -> Reply:
        """Ask the coordinator why; /cancel leaves the post as it is."""
        post = await self._repo(kind).get(post_id)
        if post is None or post.hidden_at is not None:
            return Reply(session.texts("not_available"))
        return await self._dialogues.start(session, "hide_post", {"kind": kind, "post": post_id})

    async def _hide(self, session: Session, answers: dict[str, Any]) -> Reply:
        t = session.texts
        kind, reason = answers["kind"], answers["reason"]
        repo, now = self._repo(kind), self._clock.now()
        if not session.may(Role.COORDINATOR):  # their role may have gone during the dialogue
            return Reply(t("not_available"))
        async with self._database.transaction():
            post = await repo.get(answers["post"])
            if post is None or not await repo.hide(post.id, session.user.tg_id, reason, now):
                return Reply(t("not_available"))
            await self._audit_repo.record(session.user.tg_id, f"{kind}.hide",
                                          f"{kind}:{post.id}", now)
            organisers = await self._orgs_repo.members(post.org_id)
            await self._notices.send(organisers, lambda tx: Reply(tx(
                f"{kind}.hidden_notice", title=post.title, reason=reason)))
            if kind == "event":
                await self._event_changed(post.id)
        return Reply(t(f"{kind}.hidden", title=post.title),
                     [[Button(t("button.unhide"), PostUnhide(kind, post.id))]])

    async def unhide(self, session: Session, kind: Kind, post_id: int) -> Reply:
        t = session.texts
        repo, now = self._repo(kind), self._clock.now()
        async with self._database.transaction():
            post = await repo.get(post_id)
            if post is None or not await repo.unhide(post_id):
                return Reply(t("not_available"))
            await self._audit_repo.record(session.user.tg_id, f"{kind}.unhide",
                                          f"{kind}:{post.id}", now)
            organisers = await self._orgs_repo.members(post.org_id)
            await self._notices.send(organisers, lambda tx: Reply(tx(
                f"{kind}.unhidden_notice", title=post.title)))
            if kind == "event":
                await self._event_changed(post.id)
        return Reply(t(f"{kind}.unhidden", title=post.title))
