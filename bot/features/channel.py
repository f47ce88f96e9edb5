"""The coalition's channel (SPEC §12.3): what is posted there, always through the delivery
queue, in the default language; and telling coordinators once when the channel refuses the bot.

Only what anyone may read goes there: a public event's card without a venue that is given to
people going only, never a person. Callers render the text; this decides whether it goes.
"""

from __future__ import annotations

from bot.conversation.replies import Reply
from bot.features.notices import Notices
from bot.infra.delivery import DeliveryQueue
from bot.infra.i18n import Texts, texts
from storage.deliveries import DeliveryRepository
from storage.users import UserRepository


class Channel:
    def __init__(
        self, deliveries: DeliveryRepository, queue: DeliveryQueue, users: UserRepository,
        notices: Notices, *, channel_id: str | None, language: str,
    ) -> None:
        self._deliveries = deliveries
        self._queue = queue
        self._users = users
        self._notices = notices
        self.enabled = channel_id is not None
        self.texts: Texts = texts(language)

    async def show(self, subject: str, text: str | None, *, may_open: bool) -> None:
        """Bring the channel's post about `subject` up to date with `text`, posting it the
        first time only if `may_open` (then with a text); None: it is no longer for the
        channel, and a post already made says it was withdrawn. Queued in the caller's
        transaction."""
        if not self.enabled:
            return
        if not (may_open or await self._deliveries.channel_known(subject)):
            return
        await self._queue.enqueue(
            kind="notice", audience="channel", recipients=(), channel=True,
            channel_subject=subject, text=self.texts("channel.withdrawn") if text is None else text)

    async def report_lost(self, reason: str) -> None:
        """The channel refuses the bot (it was removed, or the channel is gone): a notice to
        every coordinator. The queue calls this once until the channel works again."""
        await self._notices.send(await self._users.coordinator_ids(),
                                 lambda t: Reply(t("channel.lost", reason=reason)))
