"""The pages' views read from a database, in a number of statements that does not grow with what
they show: the pacticipant page's integrations (each with its pact status, and how many there
are) and the matrix page's rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from contract_broker.db import Database, migrate
from contract_broker.models import Pacticipant, PactPublication, PactVersion, Verification, Version
from contract_broker.repositories import pacts as pact_repo
from contract_broker.repositories.integrations import latest_verification_for_pair
from contract_broker.services import integration_pages, integrations

SUBJECT = "subject-service"


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    migrate(database)
    try:
        yield database
    finally:
        database.dispose()


class Seed:
    """Pacticipants, versions, pacts and verifications written straight to the tables."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def version(self, name: str, number: str) -> Version:
        pacticipant = self.session.scalar(select(Pacticipant).where(Pacticipant.name == name))
        if pacticipant is None:
            pacticipant = Pacticipant(name=name)
            self.session.add(pacticipant)
            self.session.flush()
        version = Version(pacticipant_id=pacticipant.id, number=number)
        self.session.add(version)
        self.session.flush()
        return version

    def pact(self, consumer: str, provider: str, number: str, content: str) -> PactVersion:
        version = self.version(consumer, number)
        provider_id = self.version(provider, f"{provider}-unused-{number}").pacticipant_id
        pact = PactVersion(
            consumer_id=version.pacticipant_id, provider_id=provider_id, sha=content, content="{}"
        )
        self.session.add(pact)
        self.session.flush()
        self.session.add(
            PactPublication(
                consumer_version_id=version.id,
                consumer_id=version.pacticipant_id,
                provider_id=provider_id,
                pact_version_id=pact.id,
            )
        )
        self.session.flush()
        return pact

    def verify(self, pact: PactVersion, provider_version: str, *, success: bool) -> None:
        provider = self.session.get(Pacticipant, pact.provider_id)
        assert provider is not None
        version = self.version(provider.name, provider_version)
        self.session.add(
            Verification(
                pact_version_id=pact.id,
                provider_version_id=version.id,
                consumer_id=pact.consumer_id,
                provider_id=pact.provider_id,
                number=1,
                success=success,
            )
        )
        self.session.flush()


def seed_integrations(database: Database, numbers: range) -> dict[str, str]:
    """Integrations of SUBJECT with ``other-NN`` for these numbers, in turn as a consumer and as
    a provider, each left in another state; the statuses the page should show by name."""
    expected = {}
    with database.session() as session:
        seed = Seed(session)
        for n in numbers:
            other = f"other-{n:02}"
            as_consumer = n % 2 == 0
            consumer, provider = (SUBJECT, other) if as_consumer else (other, SUBJECT)
            first = seed.pact(consumer, provider, f"{n}.1", f"sha-{n}-1")
            state = n % 4
            if state == 0:
                seed.verify(first, f"{n}.p", success=True)
                expected[other] = "verified"
            elif state == 1:
                seed.verify(first, f"{n}.p", success=False)
                expected[other] = "failed"
            elif state == 2:
                seed.verify(first, f"{n}.p", success=True)
                seed.pact(consumer, provider, f"{n}.2", f"sha-{n}-2")
                expected[other] = "changed"
            else:
                expected[other] = "unknown"
    return expected


def reads(database: Database, read: Callable[[Session], Any]) -> tuple[Any, int]:
    """What ``read`` returns in a read session, and how many statements it ran."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        with database.session(write=False) as session:
            view = read(session)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    return view, len([s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))])


def statements_for_the_page(database: Database) -> tuple[integration_pages.PacticipantPage, int]:
    return reads(database, lambda session: integration_pages.pacticipant_page(session, SUBJECT))


def statuses(view: integration_pages.PacticipantPage) -> dict[str, str]:
    return {
        i.pair.provider_name if i.pair.consumer_name == SUBJECT else i.pair.consumer_name: i.status
        for i in view.integrations
    }


def test_each_integrations_status_costs_no_statement_of_its_own(database: Database) -> None:
    expected = seed_integrations(database, range(1))
    one, for_one = statements_for_the_page(database)
    expected |= seed_integrations(database, range(1, 10))

    ten, for_ten = statements_for_the_page(database)

    assert for_ten == for_one
    assert statuses(one) == {"other-00": "verified"}
    assert statuses(ten) == expected
    assert sorted(set(expected.values())) == ["changed", "failed", "unknown", "verified"]
    assert (one.integration_count, ten.integration_count) == (1, 10)


def test_the_page_lists_the_first_integrations_by_name_and_counts_them_all(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = seed_integrations(database, range(5))
    monkeypatch.setattr(integration_pages, "INTEGRATIONS_SHOWN", 3)

    view, _ = statements_for_the_page(database)

    assert statuses(view) == {name: expected[name] for name in ["other-00", "other-01", "other-02"]}
    assert view.integration_count == 5


def test_the_matrix_page_costs_the_same_statements_for_1_and_40_rows(database: Database) -> None:
    """Both with a failed verification on the page (whose testResults are one statement)."""

    def seed(numbers: range) -> None:
        with database.session() as session:
            seed = Seed(session)
            for n in numbers:
                pact = seed.pact("consumer-a", "provider-b", f"1.{n}", f"sha-{n}")
                seed.verify(pact, f"2.{n}", success=n % 2 == 0)

    def page(session: Session) -> integration_pages.MatrixPage:
        filters = integration_pages.MatrixFilters()
        return integration_pages.matrix_page(session, "provider-b", "consumer-a", filters, 1)

    seed(range(1, 2))
    one, for_one = reads(database, page)
    seed(range(2, 41))

    forty, for_forty = reads(database, page)

    assert for_forty == for_one
    assert (one.total, forty.total, len(forty.rows)) == (1, 40, 40)
    assert [r.consumer_version_number for r in forty.rows[:2]] == ["1.40", "1.39"]
    assert set(one.details) == {one.rows[0].consumer_version_id, one.rows[0].provider_version_id}


def every_integration(database: Database) -> tuple[list[integrations.Integration], int]:
    return reads(database, integrations.integrations)


def test_every_integration_with_its_status_is_one_statement(database: Database) -> None:
    """The index and /integrations: each pair's latest pact, newest verification and status in
    one statement, for 1 pair as for 12, with what the per-pair reads would say."""
    seed_integrations(database, range(1))
    _, for_one = every_integration(database)
    expected = seed_integrations(database, range(1, 12))
    listed, for_twelve = every_integration(database)
    assert for_one == for_twelve == 1
    assert len(listed) == 12
    by_other = {
        (i.provider if i.consumer == SUBJECT else i.consumer): i.status
        for i in listed
        if "other-00" not in (i.consumer, i.provider)
    }
    assert by_other == expected
    with database.session(write=False) as session:
        for item in listed:
            names = {p.id: p.name for p in session.scalars(select(Pacticipant))}
            publication = next(
                p
                for p in pact_repo.latest_publications_per_integration(session)
                if (names[p.consumer_id], names[p.provider_id]) == (item.consumer, item.provider)
            )
            verification = latest_verification_for_pair(
                session, publication.consumer_id, publication.provider_id
            )
            assert item.latest.consumer_version == publication.consumer_version.number
            assert item.latest.pact_version_id == publication.pact_version_id
            assert item.status == integrations.pact_status(
                publication.pact_version_id, verification
            )
            if verification is not None:
                assert item.latest.verification_id == verification.id
                assert item.latest.provider_version == verification.provider_version.number
    assert [(i.consumer.lower(), i.provider.lower()) for i in listed] == sorted(
        (i.consumer.lower(), i.provider.lower()) for i in listed
    )
