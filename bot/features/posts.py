"""Coordinators hide a single need or event (SPEC §2) and unhide it: audited, and the posting
organisation's organisers are told. Who sees a post is `Post.visible`, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from bot.conversation.answers import Limit, text_of
from bot.conversation.dialogue import Button, Flow, Reply, Step
from bot.conversation.roles import Role
from bot.conversation.session import Session
from bot.infra.i18n import Html, Texts
from storage.models import Post

if TYPE_CHECKING:
    from bot.app.services import Services
    from storage.events import EventRepository
    from storage.needs import NeedRepository

Kind = Literal["need", "event"]

HIDE_REASON = Limit.of(Post, "hidden_reason")
parse_hide_reason = text_of(HIDE_REASON)


def moderation_row(t: Texts, kind: Kind, post: Post) -> list[Button]:
    """A coordinator's button on a post's card: Hide, or Unhide when it is hidden."""
    if post.hidden_at is None:
        return [Button(t("button.hide"), f"hide:{kind}:{post.id}")]
    return [Button(t("button.unhide"), f"unhide:{kind}:{post.id}")]


def with_hidden_note(t: Texts, text: str, post: Post) -> Html:
    """A card as its organisers and coordinators see it: if hidden, followed by why."""
    if post.hidden_at is None:
        return Html(text)
    return Html(f"{text}\n\n{t('post.hidden_note', reason=post.hidden_reason)}")


class Posts:
    def __init__(self, services: Services) -> None:
        self._services = services
        services.dialogues.register(Flow(
            name="hide_post",
            steps=(Step("reason", "post.ask.hide_reason", parse=parse_hide_reason,
                        question_values=HIDE_REASON.length_values),),
            finish=self._hide))

    def _repo(self, kind: Kind) -> NeedRepository | EventRepository:
        repos = self._services.repos
        return repos.needs if kind == "need" else repos.events

    async def begin_hide(self, session: Session, kind: Kind, post_id: int) -> Reply:
        """Ask the coordinator why; /cancel leaves the post as it is."""
        post = await self._repo(kind).get(post_id)
        if post is None or post.hidden_at is not None:
            return Reply(session.texts("not_available"))
        return await self._services.dialogues.start(session, "hide_post",
                                                    {"kind": kind, "post": post_id})

    async def _hide(self, session: Session, answers: dict[str, Any]) -> Reply:
        services, t = self._services, session.texts
        kind, reason = answers["kind"], answers["reason"]
        repo, now = self._repo(kind), services.clock.now()
        if not session.may(Role.COORDINATOR):  # their role may have gone during the dialogue
            return Reply(t("not_available"))
        async with services.database.transaction():
            post = await repo.get(answers["post"])
            if post is None or not await repo.hide(post.id, session.user.tg_id, reason, now):
                return Reply(t("not_available"))
            await services.repos.audit.record(session.user.tg_id, f"{kind}.hide",
                                              f"{kind}:{post.id}", now)
            organisers = await services.repos.organisations.members(post.org_id)
            await services.notices.send(organisers, lambda tx: Reply(tx(
                f"{kind}.hidden_notice", title=post.title, reason=reason)))
        return Reply(t(f"{kind}.hidden", title=post.title),
                     [[Button(t("button.unhide"), f"unhide:{kind}:{post.id}")]])

    async def unhide(self, session: Session, kind: Kind, post_id: int) -> Reply:
        services, t = self._services, session.texts
        repo, now = self._repo(kind), services.clock.now()
        async with services.database.transaction():
            post = await repo.get(post_id)
            if post is None or not await repo.unhide(post_id):
                return Reply(t("not_available"))
            await services.repos.audit.record(session.user.tg_id, f"{kind}.unhide",
                                              f"{kind}:{post.id}", now)
            organisers = await services.repos.organisations.members(post.org_id)
            await services.notices.send(organisers, lambda tx: Reply(tx(
                f"{kind}.unhidden_notice", title=post.title)))
        return Reply(t(f"{kind}.unhidden", title=post.title))
