"""Shared steps for tests about organisations: seeding one, snapshotting what may not change."""

from __future__ import annotations

from storage.models import OrgStatus
from tests.harness import BotUnderTest, Person

PROTECTED_TABLES = ("organisations", "organisation_approvals", "memberships", "invites",
                    "audit_log", "dialogues")


async def seed_organisation(
    bot: BotUnderTest, name: str, organiser: Person | None = None,
    status: OrgStatus = "approved", country: str = "DE",
) -> int:
    """An organisation straight in the database (its registration is tested elsewhere)."""
    repo, now = bot.services.repos.organisations, bot.clock.now()
    await bot.services.repos.users.ensure(organiser.tg_id if organiser else 1, now)
    org_id = await repo.create(
        name=name, description="", country=country, city=None, website=None,
        applicant_id=organiser.tg_id if organiser else 1, now=now)
    if status != "pending":
        await repo.set_status(org_id, status, now, expected="pending")
    if organiser is not None:
        await repo.add_member(organiser.tg_id, org_id, now)
    return org_id


async def snapshot(bot: BotUnderTest) -> dict[str, list[tuple]]:
    """Every row that a refused action must leave as it was."""
    database = bot.services.database
    tables = {table: [tuple(row) for row in await database.fetch_all(
        f"SELECT * FROM {table} ORDER BY 1")] for table in PROTECTED_TABLES}
    tables["users"] = [tuple(row) for row in await database.fetch_all(
        "SELECT tg_id, is_coordinator, country, city FROM users ORDER BY tg_id")]
    return tables


async def organiser(bot: BotUnderTest, name: str = "Free Voices", language: str = "en",
                    country: str = "DE") -> Person:
    """A person who has opened the bot and organises an approved organisation."""
    person = bot.person(language)
    await person.send("/start")
    await seed_organisation(bot, name, person, country=country)
    return person
