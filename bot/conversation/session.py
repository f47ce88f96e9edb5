"""Who is acting: the member, their language, and their role at this moment."""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation.roles import COMMANDS, Command, Role
from bot.infra.i18n import Texts
from storage.models import Dialogue, Membership, User


def role_of(user: User, membership: Membership | None) -> Role:
    """Coordinators by flag; organisers only while their organisation is approved."""
    if user.is_coordinator:
        return Role.COORDINATOR
    if membership is not None and membership.org_status == "approved":
        return Role.ORGANISER
    return Role.MEMBER


@dataclass(frozen=True)
class Session:
    """Built afresh for every update, so rights are checked when the action runs."""

    user: User
    texts: Texts
    membership: Membership | None = None
    # The dialogue open when the update arrived (the service reads the current one itself).
    dialogue: Dialogue | None = None
    # The Telegram @username of this update's sender: never stored unless they share it.
    username: str | None = None

    @property
    def role(self) -> Role:
        return role_of(self.user, self.membership)

    @property
    def org_id(self) -> int | None:
        """The organisation this person may act for now (approved membership only)."""
        membership = self.membership
        return membership.org_id if membership and membership.org_status == "approved" else None

    def may(self, role: Role) -> bool:
        return self.role >= role

    def commands(self) -> list[Command]:
        """The commands this person can use now, for /help and the Telegram menu: the role
        check every handler makes, and an organisation to act for behind organiser commands
        (a coordinator may organise none; their organiser commands would only say so)."""
        return [command for command in COMMANDS if self.may(command.role) and (
            command.role is not Role.ORGANISER or self.org_id is not None)]
