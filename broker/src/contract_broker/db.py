"""Engine, sessions and migrations. SQLite by default (WAL, busy timeout); PostgreSQL for teams.

Every session is one real transaction, begun when the session opens:

- a **write** session on SQLite starts with ``BEGIN IMMEDIATE``: it takes the write lock up front
  (waiting up to the busy timeout), so writers are serialized and never deadlock upgrading a read
  lock; on PostgreSQL it runs at READ COMMITTED, where races are decided by unique constraints
  (``INSERT … ON CONFLICT``) and row locks, never by a read-then-write in Python;
- a **read** session sees one snapshot for all its statements: ``BEGIN`` (deferred) on SQLite,
  REPEATABLE READ on PostgreSQL.

pysqlite's own transaction handling (it issues ``BEGIN`` lazily, only before DML, and so lets
SELECTs run outside any transaction and breaks SAVEPOINTs) is switched off; the broker emits
its own ``BEGIN`` (see SQLAlchemy's SQLite dialect notes, "Serializable isolation / Savepoints /
Transactional DDL").
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

__all__ = ["Database", "migrate"]

log = logging.getLogger("contract_broker")

MIGRATIONS = Path(__file__).with_name("migrations")
VALIDATE_AFTER_IDLE = 10.0
"""Seconds a pooled PostgreSQL connection may sit unused before it is pinged before use."""
MAX_CONNECTIONS = 20
"""Connections one process's pool opens at most, by default: half kept open, half on demand."""
MIGRATION_LOCK = 0x5041_4354_4252_4B52
"""The PostgreSQL advisory lock key replicas take to migrate one at a time ("PACTBRKR")."""
PING_CONNECT_SECONDS = 3


class Database:
    """An engine and its session factory."""

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = MAX_CONNECTIONS,
        validate_after_idle: float = VALIDATE_AFTER_IDLE,
    ) -> None:
        parsed = make_url(url)
        pool = {
            "pool_size": max_connections // 2,
            "max_overflow": max_connections - max_connections // 2,
        }
        options: dict[str, Any] = {}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            options["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if parsed.database and parsed.database != ":memory:":
                options.update(pool)
        else:
            options.update(pool)
        self.url = url
        self.connections = max_connections
        """How many connections the pool opens at most."""
        self.engine: Engine = create_engine(url, **options)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            IdleValidation(self.engine, validate_after_idle)
            event.listen(self.engine, "connect", _postgresql_connect)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Reads begin on their first statement, on an engine whose connections start the
        # snapshot themselves: opening a read session does no I/O.
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**self._transaction_options(write=False)),
            expire_on_commit=False,
        )
        self._ping_engine: Engine | None = None

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction: committed when the block succeeds, rolled back when it raises.

        ``write=False`` for a request that only reads: one snapshot, no write lock. Opening it
        does no I/O (the connection is checked out and the transaction begun by its first
        statement), so the event loop may open one without a worker thread. A write's
        transaction begins here: on SQLite ``BEGIN IMMEDIATE`` may wait for the write lock.
        """
        with (self.sessions if write else self._read_sessions)() as session:
            try:
                if write:
                    session.connection(execution_options=self._transaction_options(write))
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def _transaction_options(self, write: bool) -> dict[str, Any]:
        if self.is_sqlite:
            return {SQLITE_BEGIN: "IMMEDIATE" if write else "DEFERRED"}
        return {} if write else {"isolation_level": "REPEATABLE READ"}

    def ping(self) -> None:
        """Open a new connection and run ``SELECT 1``; raises when the database does not answer.

        Its own connection, outside the pool: the answer must not wait behind busy requests,
        and a connection the pool kept from before an outage proves nothing.
        """
        if self._ping_engine is None:
            connect_args: dict[str, Any] = (
                {"check_same_thread": False, "timeout": PING_CONNECT_SECONDS}
                if self.is_sqlite
                else {"connect_timeout": PING_CONNECT_SECONDS}
            )
            self._ping_engine = create_engine(
                self.url, poolclass=NullPool, connect_args=connect_args
            )
        with self._ping_engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()
        if self._ping_engine is not None:
            self._ping_engine.dispose()


def _postgresql_connect(dbapi_connection: Any, _record: Any) -> None:
    """No JIT compilation: PostgreSQL compiles any plan whose estimated cost passes
    ``jit_above_cost``, and the pending verdicts of a few hundred pacts are 1-2 ms of index
    probes that look expensive on paper: compiling them took 15 ms more. Set per connection
    (a startup option might be refused by a connection pooler).

    Not ``plan_cache_mode = force_generic_plan`` (planning prepared statements once would
    make can-i-deploy 15% faster): in one of three benchmark runs a generic plan, made from
    that run's sampled statistics, took pacts-for-verification from 10 to 160 ms."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.commit()


class IdleValidation:
    """Ping a pooled connection before use only when it has been idle ``after`` seconds or more.

    SQLAlchemy's ``pool_pre_ping`` pings before every use: one more round trip (~0.3 ms here)
    on every request, ~10% of a can-i-deploy. A connection in steady use has just proved
    itself; one left idle may have been closed by a database restart, a proxy or a firewall.
    So, as the Pact Broker does (Sequel's connection validator,
    ``PACT_BROKER_DATABASE_CONNECTION_VALIDATION_TIMEOUT``), only idle connections are pinged
    (``after`` <= 0: every one). A connection that fails its ping is replaced at once. One that
    broke while in steady use fails its request with 503 ``Retry-After`` (the broker maps a
    lost connection so), and SQLAlchemy then replaces every connection of the pool.
    """

    CHECKED_IN = "checked_in_at"

    def __init__(self, engine: Engine, after: float) -> None:
        self.after = after
        self.dialect = engine.dialect
        event.listen(engine, "checkin", self._checkin)
        event.listen(engine, "checkout", self._checkout)

    def _checkin(self, _dbapi_connection: Any, record: Any) -> None:
        record.info[self.CHECKED_IN] = time.monotonic()

    def _checkout(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in = record.info.get(self.CHECKED_IN)
        if checked_in is None or time.monotonic() - checked_in < self.after:
            return  # new, or used a moment ago
        try:
            self.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool discards this connection and checks out (or opens) another.
            raise DisconnectionError(f"an idle connection did not answer: {error}") from error


SQLITE_BEGIN = "sqlite_begin"
"""Execution option: the kind of ``BEGIN`` a SQLite transaction starts with."""


def _sqlite_connect(connection: Any, _record: Any) -> None:
    # The driver must not begin (or commit) on its own: _sqlite_begin does.
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    _use_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


WAL_ATTEMPTS = 100


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL mode (it stays so), unless another connection already did.

    The switch needs the file to itself, and SQLite answers "database is locked" at once
    instead of waiting: processes opening a new file together (``--workers N``, replicas
    starting at once) retry until one of them has switched it.
    """
    for attempt in range(WAL_ATTEMPTS):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == WAL_ATTEMPTS - 1:
                raise
            time.sleep(0.05)


def _sqlite_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def migrate(database: Database) -> None:
    """Bring the schema to the newest Alembic revision, once, however many replicas start.

    The migration is one transaction that first takes a lock: a PostgreSQL advisory lock
    (``pg_advisory_xact_lock``), or SQLite's write lock (``BEGIN IMMEDIATE``). Replicas that
    start together queue on it; the first migrates, the others then find the schema current
    and only read its revision.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = database.engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
    with engine.begin() as connection:
        if not database.is_sqlite:
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        before = MigrationContext.configure(connection).get_current_revision()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        after = MigrationContext.configure(connection).get_current_revision()
    if before == after:
        log.info("database schema is current (revision %s)", after)
    else:
        log.info("database schema migrated from revision %s to %s", before or "(empty)", after)
