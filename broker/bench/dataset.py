"""The benchmark's data: a broker database of a realistic shape, bulk-inserted in a few seconds.

Rows go straight into the models' tables (SQLAlchemy Core executemany, ids assigned here), in
the shape a busy broker builds up over a year of pipelines:

- every consumer version is on branch ``main``; every tenth is also on a short feature branch;
  every twentieth is tagged ``release``;
- each consumer version publishes a pact to its primary provider, and every other one also to
  a secondary provider; the content changes every ``CONTENT_CHANGES_EVERY`` versions, so many
  consumer versions share one pact version (SHA);
- provider versions are on ``main`` and verify, as they are built, the content current at that
  moment and a few older ones (what is deployed) — mostly successfully;
- ``test`` and ``production`` each have a deployment history (the last one current) for every
  pacticipant, and some consumers are mobile apps with released versions in production.

The pact documents are real pact JSON; their SHAs, interaction ids and stored text come from the
broker's own functions, so the rows are what ``POST /contracts/publish`` would have stored.
"""

from __future__ import annotations

import bisect
import math
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, func, insert, select, text

from contract_broker.db import Database
from contract_broker.models import (
    Branch,
    BranchVersion,
    DeployedVersion,
    Environment,
    Pacticipant,
    PactPublication,
    PactVersion,
    ReleasedVersion,
    Tag,
    Verification,
    Version,
)
from contract_broker.services.content import canonical_json, pact_sha, with_interaction_ids

__all__ = [
    "BRANCH",
    "PRODUCTION",
    "Seeded",
    "Shape",
    "pact_document",
    "seed",
]

BRANCH = "main"
RELEASE_TAG = "release"
TEST = "test"
PRODUCTION = "production"
CONTENT_CHANGES_EVERY = 10
FEATURE_BRANCH_EVERY = 10
TAG_EVERY = 20
SUCCESS_RATE = 0.95
INTERACTIONS = 6
BATCH = 5_000
HISTORY = timedelta(days=365)
# (every how many versions a deployment happens, how many versions it lags behind the newest)
CONSUMER_DEPLOYS = {TEST: (10, 2), PRODUCTION: (50, 20)}
PROVIDER_DEPLOYS = {TEST: (10, 2), PRODUCTION: (40, 30)}
MOBILE_EVERY = 4  # every fourth consumer releases (mobile app) instead of only deploying
RELEASE_EVERY = 100
SUPPORTED_RELEASES = 2


@dataclass(frozen=True)
class Shape:
    """How much data: pacticipants, versions of each, and verification results overall."""

    consumers: int = 20
    consumer_versions: int = 500
    providers: int = 5
    provider_versions: int = 1_000
    verifications: int = 100_000

    def label(self) -> str:
        return (
            f"{self.consumers} consumers x {self.consumer_versions} versions, "
            f"{self.providers} providers x {self.provider_versions} versions, "
            f"{self.verifications:,} verifications"
        )


@dataclass
class Seeded:
    """What the requests are built from: names, version numbers, pacts, the WIP date."""

    shape: Shape
    consumers: list[str]
    providers: list[str]
    providers_of: dict[str, list[str]]
    consumer_numbers: dict[str, list[str]]
    provider_numbers: dict[str, list[str]]
    latest_content: dict[tuple[str, str], dict[str, Any]]
    wip_since: date
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def consumer_name(index: int) -> str:
    return f"consumer-{index:02d}"


def provider_name(index: int) -> str:
    return f"provider-{index}"


def consumer_number(index: int) -> str:
    return f"1.{index // 100}.{index % 100}"


def provider_number(index: int) -> str:
    return f"2.{index // 100}.{index % 100}"


def _interaction(provider: str, n: int, revision: int) -> dict[str, Any]:
    resource = provider.replace("-", "_")
    body: dict[str, Any] = {"id": n, "name": f"{resource} {n}", "active": True}
    if n == revision % INTERACTIONS:
        body[f"field_{revision}"] = f"added in revision {revision}"
    return {
        "description": f"a request for {resource} {n}",
        "providerStates": [{"name": f"{resource} {n} exists", "params": {"id": n}}],
        "request": {
            "method": "GET",
            "path": f"/{resource}/{n}",
            "headers": {"Accept": "application/json"},
        },
        "response": {
            "status": 200,
            "headers": {"Content-Type": "application/json"},
            "body": body,
            "matchingRules": {
                "body": {
                    "$.name": {"combine": "AND", "matchers": [{"match": "type"}]},
                    "$.id": {"combine": "AND", "matchers": [{"match": "integer"}]},
                }
            },
        },
    }


def pact_document(consumer: str, provider: str, revision: int) -> dict[str, Any]:
    """A V3 pact; each revision changes one response body, every fifth adds an interaction."""
    count = INTERACTIONS + revision // 5
    return {
        "consumer": {"name": consumer},
        "provider": {"name": provider},
        "interactions": [_interaction(provider, n, revision) for n in range(count)],
        "metadata": {
            "pactSpecification": {"version": "3.0.0"},
            "pactRust": {"ffi": "0.4.22", "models": "1.2.3"},
        },
    }


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


@dataclass
class _Rows:
    """Rows per table, in insertion order (parents before children)."""

    tables: dict[str, tuple[Table, list[dict[str, Any]]]] = field(default_factory=dict)

    def add(self, model: type[Any], row: dict[str, Any]) -> None:
        table = _table(model)
        self.tables.setdefault(table.name, (table, []))[1].append(row)


@dataclass(frozen=True)
class _Timeline:
    """When things happened: versions spread evenly over the year before now."""

    start: datetime
    shape: Shape

    def consumer_version(self, consumer: int, version: int) -> datetime:
        offset = (version + (consumer + 0.5) / self.shape.consumers) / self.shape.consumer_versions
        return self.start + HISTORY * offset

    def provider_version(self, provider: int, version: int) -> datetime:
        offset = (version + (provider + 0.5) / self.shape.providers) / self.shape.provider_versions
        return self.start + HISTORY * offset

    def consumer_versions_before(self, consumer: int, moment: datetime) -> int:
        """The index of the consumer's newest version at ``moment`` (-1: none yet)."""
        fraction = (moment - self.start) / HISTORY
        return math.floor(
            fraction * self.shape.consumer_versions - (consumer + 0.5) / self.shape.consumers
        )


def _deployments(count: int, cadence: int, lag: int) -> list[int]:
    """Indexes of the versions deployed, oldest first (the last one is current)."""
    return list(range(cadence - 1, count - lag, cadence)) or [0]


def _providers_for(consumer: int, providers: int) -> tuple[int, int | None]:
    primary = consumer % providers
    secondary = (consumer + 1) % providers
    return primary, (secondary if secondary != primary else None)


def seed(database: Database, shape: Shape, *, progress: Callable[[str], None]) -> Seeded:
    """Fill an empty, migrated database with ``shape``'s data; returns what requests need."""
    started = time.perf_counter()
    rng = random.Random(20_240_101)  # the same data every run
    now = datetime.now(UTC).replace(microsecond=0)
    timeline = _Timeline(now - HISTORY - timedelta(days=1), shape)
    rows = _Rows()
    consumers = [consumer_name(c) for c in range(shape.consumers)]
    providers = [provider_name(p) for p in range(shape.providers)]

    # Pacticipants: consumers first, then providers; all with main branch ``main``.
    pacticipant_ids: dict[str, int] = {}
    for name in consumers + providers:
        pacticipant_ids[name] = len(pacticipant_ids) + 1
        rows.add(
            Pacticipant,
            {
                "id": pacticipant_ids[name],
                "name": name,
                "main_branch": BRANCH,
                "repository_url": f"https://git.example.com/acme/{name}",
                "created_at": timeline.start,
                "updated_at": timeline.start,
            },
        )

    # Versions: ids in creation order across pacticipants, as the broker assigns them.
    events: list[tuple[datetime, str, int, int]] = [
        (timeline.consumer_version(c, v), "c", c, v)
        for c in range(shape.consumers)
        for v in range(shape.consumer_versions)
    ]
    events += [
        (timeline.provider_version(p, k), "p", p, k)
        for p in range(shape.providers)
        for k in range(shape.provider_versions)
    ]
    events.sort()
    consumer_version_ids: dict[tuple[int, int], int] = {}
    provider_version_ids: dict[tuple[int, int], int] = {}
    for version_id, (moment, kind, who, index) in enumerate(events, start=1):
        if kind == "c":
            consumer_version_ids[who, index] = version_id
            pacticipant_id, number = who + 1, consumer_number(index)
        else:
            provider_version_ids[who, index] = version_id
            pacticipant_id, number = shape.consumers + who + 1, provider_number(index)
        rows.add(
            Version,
            {
                "id": version_id,
                "pacticipant_id": pacticipant_id,
                "number": number,
                "created_at": moment,
                "updated_at": moment,
            },
        )

    _branches_and_tags(rows, shape, timeline, consumer_version_ids, provider_version_ids)
    latest_content, pact_version_ids = _pacts(
        rows, shape, timeline, consumers, providers, consumer_version_ids
    )
    _verifications(rows, shape, timeline, rng, provider_version_ids, pact_version_ids)
    _environments(rows, shape, timeline, consumer_version_ids, provider_version_ids)

    progress(f"  rows built in {time.perf_counter() - started:.1f} s")
    counts = _insert(database, rows, progress=progress)
    seconds = time.perf_counter() - started
    providers_of = {}
    for c, name in enumerate(consumers):
        primary, secondary = _providers_for(c, shape.providers)
        providers_of[name] = [providers[primary]] + (
            [providers[secondary]] if secondary is not None else []
        )
    return Seeded(
        shape=shape,
        consumers=consumers,
        providers=providers,
        providers_of=providers_of,
        consumer_numbers={
            name: [consumer_number(v) for v in range(shape.consumer_versions)]
            for name in consumers
        },
        provider_numbers={
            name: [provider_number(k) for k in range(shape.provider_versions)]
            for name in providers
        },
        latest_content=latest_content,
        wip_since=(timeline.start + HISTORY * 0.9).date(),
        rows=counts,
        seconds=seconds,
    )


def _branches_and_tags(
    rows: _Rows,
    shape: Shape,
    timeline: _Timeline,
    consumer_version_ids: dict[tuple[int, int], int],
    provider_version_ids: dict[tuple[int, int], int],
) -> None:
    branch_ids = iter(range(1, 1 << 31))
    member_ids = iter(range(1, 1 << 31))
    tag_ids = iter(range(1, 1 << 31))

    def branch(pacticipant_id: int, name: str, created_at: datetime) -> int:
        branch_id = next(branch_ids)
        rows.add(
            Branch,
            {"id": branch_id, "pacticipant_id": pacticipant_id, "name": name,
             "created_at": created_at},
        )  # fmt: skip
        return branch_id

    def member(branch_id: int, name: str, version_id: int, pacticipant_id: int, at: datetime) -> None:
        rows.add(
            BranchVersion,
            {"id": next(member_ids), "branch_id": branch_id, "version_id": version_id,
             "pacticipant_id": pacticipant_id, "branch_name": name, "created_at": at},
        )  # fmt: skip

    def tag(name: str, version_id: int, pacticipant_id: int, at: datetime) -> None:
        rows.add(
            Tag,
            {"id": next(tag_ids), "name": name, "version_id": version_id,
             "pacticipant_id": pacticipant_id, "created_at": at},
        )  # fmt: skip

    for c in range(shape.consumers):
        pacticipant_id = c + 1
        main = branch(pacticipant_id, BRANCH, timeline.consumer_version(c, 0))
        for v in range(shape.consumer_versions):
            at, version_id = timeline.consumer_version(c, v), consumer_version_ids[c, v]
            member(main, BRANCH, version_id, pacticipant_id, at)
            if v % FEATURE_BRANCH_EVERY == FEATURE_BRANCH_EVERY - 1:
                name = f"feat/{c:02d}-{v // FEATURE_BRANCH_EVERY}"
                member(branch(pacticipant_id, name, at), name, version_id, pacticipant_id, at)
            if v % TAG_EVERY == 0:
                tag(RELEASE_TAG, version_id, pacticipant_id, at)
    for p in range(shape.providers):
        pacticipant_id = shape.consumers + p + 1
        main = branch(pacticipant_id, BRANCH, timeline.provider_version(p, 0))
        for k in range(shape.provider_versions):
            at = timeline.provider_version(p, k)
            member(main, BRANCH, provider_version_ids[p, k], pacticipant_id, at)


def _pacts(
    rows: _Rows,
    shape: Shape,
    timeline: _Timeline,
    consumers: list[str],
    providers: list[str],
    consumer_version_ids: dict[tuple[int, int], int],
) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[tuple[int, int, int], int]]:
    """Pact versions (one per content) and publications.

    Returns each pair's latest content, and the pact version id of each (consumer, provider,
    revision).
    """
    pact_version_ids: dict[tuple[int, int, int], int] = {}
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    publication_id = 0
    for c in range(shape.consumers):
        primary, secondary = _providers_for(c, shape.providers)
        for v in range(shape.consumer_versions):
            at = timeline.consumer_version(c, v)
            targets = [primary] + ([secondary] if secondary is not None and v % 2 == 0 else [])
            for p in targets:
                revision = v // CONTENT_CHANGES_EVERY
                key = (c, p, revision)
                if key not in pact_version_ids:
                    document = pact_document(consumers[c], providers[p], revision)
                    pact_version_ids[key] = len(pact_version_ids) + 1
                    latest[consumers[c], providers[p]] = document
                    rows.add(
                        PactVersion,
                        {
                            "id": pact_version_ids[key],
                            "consumer_id": c + 1,
                            "provider_id": shape.consumers + p + 1,
                            "sha": pact_sha(document),
                            "content": canonical_json(with_interaction_ids(document)),
                            "created_at": at,
                        },
                    )
                publication_id += 1
                rows.add(
                    PactPublication,
                    {
                        "id": publication_id,
                        "consumer_version_id": consumer_version_ids[c, v],
                        "consumer_id": c + 1,
                        "provider_id": shape.consumers + p + 1,
                        "pact_version_id": pact_version_ids[key],
                        "revision_number": 1,
                        "created_at": at,
                        "updated_at": at,
                    },
                )
    return latest, pact_version_ids


def _verifications(
    rows: _Rows,
    shape: Shape,
    timeline: _Timeline,
    rng: random.Random,
    provider_version_ids: dict[tuple[int, int], int],
    pact_version_ids: dict[tuple[int, int, int], int],
) -> None:
    """Each provider build verifies, consumer by consumer, the main branch head, then what is
    deployed to production and to test at that moment, then older contents: as many as its
    share of ``shape.verifications`` (each content once per build)."""
    pairs: dict[int, list[tuple[int, bool]]] = {p: [] for p in range(shape.providers)}
    for c in range(shape.consumers):
        primary, secondary = _providers_for(c, shape.providers)
        pairs[primary].append((c, False))
        if secondary is not None:
            pairs[secondary].append((c, True))
    deployed = {
        environment: _deployments(shape.consumer_versions, cadence, lag)
        for environment, (cadence, lag) in CONSUMER_DEPLOYS.items()
    }

    def verified_in_round(round_: int, newest: int) -> int | None:
        """The consumer version whose content a build verifies in this round."""
        if round_ == 0:
            return newest
        if round_ <= len(deployed):
            versions = deployed[(PRODUCTION, TEST)[round_ - 1]]
            position = bisect.bisect_right(versions, newest)
            return versions[position - 1] if position else None
        return newest - (round_ - len(deployed)) * CONTENT_CHANGES_EVERY

    builds = shape.providers * shape.provider_versions
    per_build = math.ceil(shape.verifications / builds) if builds else 0
    numbers: dict[int, int] = {}
    made = 0
    for k in range(shape.provider_versions):
        for p in range(shape.providers):
            at = timeline.provider_version(p, k) + timedelta(minutes=5)
            newest = {c: timeline.consumer_versions_before(c, at) for c, _ in pairs[p]}
            done: set[int] = set()
            for round_ in range(per_build + len(deployed) + 1):
                for c, every_other in pairs[p]:
                    if len(done) >= per_build or made >= shape.verifications:
                        break
                    version = verified_in_round(round_, newest[c]) if newest[c] >= 0 else None
                    if version is None or version < 0:
                        continue
                    if every_other:  # only its even versions have a pact with this provider
                        version -= version % 2
                    pact_version_id = pact_version_ids[c, p, version // CONTENT_CHANGES_EVERY]
                    if pact_version_id in done:
                        continue
                    done.add(pact_version_id)
                    numbers[pact_version_id] = numbers.get(pact_version_id, 0) + 1
                    made += 1
                    rows.add(
                        Verification,
                        {
                            "id": made,
                            "pact_version_id": pact_version_id,
                            "provider_version_id": provider_version_ids[p, k],
                            "consumer_id": c + 1,
                            "provider_id": shape.consumers + p + 1,
                            "number": numbers[pact_version_id],
                            "success": rng.random() < SUCCESS_RATE,
                            "provider_branch": BRANCH,
                            "wip": False,
                            "execution_date": at,
                            "created_at": at,
                        },
                    )


def _environments(
    rows: _Rows,
    shape: Shape,
    timeline: _Timeline,
    consumer_version_ids: dict[tuple[int, int], int],
    provider_version_ids: dict[tuple[int, int], int],
) -> None:
    environment_ids = {TEST: 1, PRODUCTION: 2}
    for name, environment_id in environment_ids.items():
        rows.add(
            Environment,
            {"id": environment_id, "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
             "name": name, "display_name": name.capitalize(), "production": name == PRODUCTION,
             "created_at": timeline.start, "updated_at": timeline.start},
        )  # fmt: skip
    deployed_ids = iter(range(1, 1 << 31))
    released_ids = iter(range(1, 1 << 31))

    def history(
        environment: str, pacticipant_id: int, versions: Sequence[tuple[int, datetime]]
    ) -> None:
        for (version_id, at), following in zip(versions, [*versions[1:], None], strict=True):
            rows.add(
                DeployedVersion,
                {"id": next(deployed_ids), "uuid": str(uuid.uuid4()), "version_id": version_id,
                 "pacticipant_id": pacticipant_id, "environment_id": environment_ids[environment],
                 "application_instance": None, "created_at": at + timedelta(hours=1),
                 "undeployed_at": None if following is None else following[1] + timedelta(hours=1)},
            )  # fmt: skip

    for c in range(shape.consumers):
        for environment, (cadence, lag) in CONSUMER_DEPLOYS.items():
            chosen = _deployments(shape.consumer_versions, cadence, lag)
            history(
                environment,
                c + 1,
                [(consumer_version_ids[c, v], timeline.consumer_version(c, v)) for v in chosen],
            )
        if c % MOBILE_EVERY == MOBILE_EVERY - 1:
            released = list(range(RELEASE_EVERY // 2, shape.consumer_versions, RELEASE_EVERY))
            for position, v in enumerate(released):
                at = timeline.consumer_version(c, v) + timedelta(hours=2)
                ended = position < len(released) - SUPPORTED_RELEASES
                rows.add(
                    ReleasedVersion,
                    {"id": next(released_ids), "uuid": str(uuid.uuid4()),
                     "version_id": consumer_version_ids[c, v], "pacticipant_id": c + 1,
                     "environment_id": environment_ids[PRODUCTION], "created_at": at,
                     "support_ended_at": at + timedelta(days=60) if ended else None},
                )  # fmt: skip
    for p in range(shape.providers):
        for environment, (cadence, lag) in PROVIDER_DEPLOYS.items():
            chosen = _deployments(shape.provider_versions, cadence, lag)
            history(
                environment,
                shape.consumers + p + 1,
                [(provider_version_ids[p, k], timeline.provider_version(p, k)) for k in chosen],
            )


def _batches(items: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for begin in range(0, len(items), size):
        yield items[begin : begin + size]


def _insert(database: Database, rows: _Rows, *, progress: Callable[[str], None]) -> dict[str, int]:
    """executemany per table, in one transaction; then sequences and statistics as a live
    PostgreSQL would have them (its autovacuum analyzes tables after bulk changes)."""
    counts: dict[str, int] = {}
    postgresql = database.engine.dialect.name == "postgresql"
    with database.engine.begin() as connection:
        for name, (table, table_rows) in rows.tables.items():
            began = time.perf_counter()
            for batch in _batches(table_rows, BATCH):
                connection.execute(insert(table), batch)
            counts[name] = len(table_rows)
            progress(f"  {name:<20} {len(table_rows):>9,} rows  {time.perf_counter() - began:6.2f} s")
        if postgresql:
            _advance_sequences(connection, (table for table, _ in rows.tables.values()))
    if postgresql:
        with database.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return counts


def _advance_sequences(connection: Connection, tables: Iterable[Table]) -> None:
    """Ids were given explicitly: move each id sequence past them, or new rows would clash."""
    for table in tables:
        sequence = func.pg_get_serial_sequence(table.name, "id")
        newest = select(func.max(table.c.id)).scalar_subquery()
        connection.execute(select(func.setval(sequence, newest)))
