"""Per-person flood limit: more than N updates in a sliding window are dropped."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.flood import FloodRepository

LIMIT = 20
WINDOW = timedelta(seconds=10)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    warn: bool = False


class FloodGuard:
    """Kept in memory on purpose: it must act before any database work, and a restart that
    forgets a window only lets one more burst through."""

    def __init__(self, limit: int = LIMIT, window: timedelta = WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._seen: dict[int, deque[datetime]] = {}
        self._warned: dict[int, datetime] = {}

    async def admit(self, tg_id: int, now: datetime) -> Verdict:
        return self.check(tg_id, now)

    async def keep(self, tg_id: int) -> None:
        """Nothing to write: the window changed in memory as the update was admitted."""

    def forget(self, tg_id: int) -> None:
        """The person asked to be forgotten (/forget): their window goes too."""
        self._seen.pop(tg_id, None)
        self._warned.pop(tg_id, None)

    def check(self, tg_id: int, now: datetime) -> Verdict:
        seen = self._seen.setdefault(tg_id, deque())
        while seen and now - seen[0] >= self.window:
            seen.popleft()
        if len(seen) < self.limit:
            seen.append(now)
            self._forget_idle(now)
            return Verdict(allowed=True)
        warned = self._warned.get(tg_id)
        if warned is not None and now - warned < self.window:
            return Verdict(allowed=False)
        self._warned[tg_id] = now
        return Verdict(allowed=False, warn=True)

    def _forget_idle(self, now: datetime) -> None:
        """Keep memory bounded by the people active in the last window."""
        if len(self._seen) <= 10_000:
            return
        for tg_id in [key for key, seen in self._seen.items() if not seen
                      or now - seen[-1] >= self.window]:
            self._seen.pop(tg_id, None)
            self._warned.pop(tg_id, None)


class SharedFloodGuard:
    """The same limit when bot processes share a PostgreSQL database: a person's window is read
    and written in the database by whichever replica handles their update, under the person's
    lock (Database.person) that update is handled with, so the limit holds across replicas.

    The window is read as the update is admitted and written by `keep` once the update is
    handled, still under the lock (bot/infra/updates.py): the reply does not wait for a
    commit, and the person's next update, wherever it is handled, sees this one counted."""

    def __init__(self, repository: FloodRepository, limit: int = LIMIT,
                 window: timedelta = WINDOW) -> None:
        self._repository = repository
        self.limit = limit
        self.window = window
        # The windows admitted and not yet written: one person's at a time in practice.
        self._unwritten: dict[int, tuple[list[datetime], datetime | None, datetime]] = {}

    async def admit(self, tg_id: int, now: datetime) -> Verdict:
        seen, warned = await self._repository.window(tg_id)
        guard = FloodGuard(self.limit, self.window)
        guard._seen[tg_id] = deque(seen)
        if warned is not None:
            guard._warned[tg_id] = warned
        verdict = guard.check(tg_id, now)
        self._unwritten[tg_id] = (list(guard._seen[tg_id]), guard._warned.get(tg_id), now)
        return verdict

    async def keep(self, tg_id: int) -> None:
        """Write the window the person's update was admitted with, if it was."""
        unwritten = self._unwritten.pop(tg_id, None)
        if unwritten is not None:
            await self._repository.keep(tg_id, *unwritten)

    def forget(self, tg_id: int) -> None:
        """The person asked to be forgotten (/forget deleted their window in the database):
        the window of the update that asked is not written after it."""
        self._unwritten.pop(tg_id, None)
