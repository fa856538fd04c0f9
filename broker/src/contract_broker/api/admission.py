"""Admission: how many requests may hold a database transaction at once, awaited on the loop.

Routes and the session dependency run in worker threads (anyio's pool: 40 threads). A request
that waited there for a pooled connection, or for SQLite's write lock, would hold its thread
while it waits; with enough such requests every thread waits, the requests holding the lock
or the connections cannot get a thread to finish and commit, and all of them time out. So a
request first waits here, on the event loop, which costs no thread: at most ``transactions``
requests hold a transaction (fewer than the pool's connections, leaving some to the webhook
worker), and on SQLite, which has one writer at a time anyway, at most one of them writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from contract_broker.db import Database
from contract_broker.services.webhook_worker import SENDERS

__all__ = ["WORKER_CONNECTIONS", "Admission"]

WORKER_CONNECTIONS = SENDERS + 1
"""Connections left to the webhook worker: its poll and each delivery it sends."""


class Admission:
    """Semaphores for transactions and writers; created on the event loop that uses them."""

    def __init__(self, *, transactions: int, writers: int | None) -> None:
        self._transactions = asyncio.Semaphore(transactions)
        self._writers = asyncio.Semaphore(writers) if writers is not None else None

    @classmethod
    def for_database(cls, database: Database) -> Admission:
        return cls(
            transactions=max(1, database.connections - WORKER_CONNECTIONS),
            writers=1 if database.is_sqlite else None,
        )

    @asynccontextmanager
    async def transaction(self, *, write: bool) -> AsyncIterator[None]:
        """Wait for a turn to hold a (write) transaction; the turn ends with the block."""
        async with AsyncExitStack() as turn:
            # Always writers first, then transactions: no two requests wait on each other.
            if write and self._writers is not None:
                await turn.enter_async_context(self._writers)
            await turn.enter_async_context(self._transactions)
            yield
