"""Roles and the commands each one has: the Telegram menu, /help and each command handler's
role check all come from COMMANDS, so a command's role is written once."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Role(IntEnum):
    """Ordered: each role can do everything the ones below it can."""

    MEMBER = 1
    ORGANISER = 2
    COORDINATOR = 3


@dataclass(frozen=True)
class Command:
    name: str
    role: Role


COMMANDS = (
    Command("start", Role.MEMBER),
    Command("help", Role.MEMBER),
    Command("needs", Role.MEMBER),
    Command("myoffers", Role.MEMBER),
    Command("events", Role.MEMBER),
    Command("myevents", Role.MEMBER),
    Command("campaigns", Role.MEMBER),
    Command("register_org", Role.MEMBER),
    Command("subscribe", Role.MEMBER),
    Command("unsubscribe", Role.MEMBER),
    Command("digest", Role.MEMBER),
    Command("neednew", Role.ORGANISER),
    Command("myneeds", Role.ORGANISER),
    Command("eventnew", Role.ORGANISER),
    Command("invite", Role.ORGANISER),
    Command("announce", Role.COORDINATOR),
    Command("broadcasts", Role.COORDINATOR),
    Command("orgs", Role.COORDINATOR),
    Command("campaignnew", Role.COORDINATOR),
    Command("elections", Role.COORDINATOR),
    Command("coordinators", Role.COORDINATOR),
    Command("audit", Role.COORDINATOR),
    Command("settings", Role.MEMBER),
    Command("language", Role.MEMBER),
    Command("mydata", Role.MEMBER),
    Command("forget", Role.MEMBER),
    Command("cancel", Role.MEMBER),
)


_ROLES = {command.name: command.role for command in COMMANDS}


def commands_for(role: Role) -> list[Command]:
    return [command for command in COMMANDS if command.role <= role]


def command_role(name: str) -> Role:
    """The role a command needs; a KeyError for a command missing from COMMANDS."""
    return _ROLES[name]
