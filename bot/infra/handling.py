"""Whether a person's update is being handled, for mass sending to give way to it.

A broadcast competes with people's replies for the machine: the CPU, the database, the line to
Telegram. On a small server a sender at 1000 messages a second made every reply wait longer,
even from a process of its own. So while the bot handles an update, the delivery queue starts
no send (and claims no rows) for as long as its pacing can still make up for the pause, and
sends what it owes right after (`DeliveryQueue._people_first`).

The in-process queue sees `Handling` directly. The sender processes that `run` starts see it
through one shared byte: `run` passes them the descriptor of an unlinked file both map
(`shared_fd`), and each reads it as `SharedHandling` before every send.
"""

from __future__ import annotations

import asyncio
import contextlib
import mmap
import tempfile
from time import monotonic
from typing import IO, Protocol

# How often a sender process looks at the shared byte again while an update is handled.
POLL = 0.001


class GivesWay(Protocol):
    async def idle(self, limit: float) -> None:
        """Return once no update is being handled, or after `limit` seconds."""


class Handling:
    """Up from the start to the end of each update this process handles."""

    def __init__(self) -> None:
        self._idle = asyncio.Event()
        self._idle.set()
        self._file: IO[bytes] | None = None
        self._shared: mmap.mmap | None = None

    def begin(self) -> None:
        self._idle.clear()
        if self._shared is not None:
            self._shared[0] = 1

    def end(self) -> None:
        self._idle.set()
        if self._shared is not None:
            self._shared[0] = 0

    async def idle(self, limit: float) -> None:
        if self._idle.is_set() or limit <= 0:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(limit):
                await self._idle.wait()

    def shared_fd(self) -> int:
        """A descriptor for sender processes to inherit and read as SharedHandling."""
        if self._file is None:
            # Open as long as the Handling: its children may be restarted at any time.
            self._file = tempfile.TemporaryFile()  # noqa: SIM115
            self._file.write(b"\0" if self._idle.is_set() else b"\1")
            self._file.flush()
            self._shared = mmap.mmap(self._file.fileno(), 1)
        return self._file.fileno()

    def close(self) -> None:
        if self._file is not None:
            assert self._shared is not None
            self._shared.close()
            self._file.close()
            self._shared = self._file = None


class SharedHandling:
    """The Handling of the process that passed `fd` (see Handling.shared_fd), read-only."""

    def __init__(self, fd: int) -> None:
        self._shared = mmap.mmap(fd, 1, access=mmap.ACCESS_READ)

    async def idle(self, limit: float) -> None:
        deadline = monotonic() + limit
        # Another process's byte cannot wake this loop: look again every POLL.
        while self._shared[0] and (left := deadline - monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(min(POLL, left))
