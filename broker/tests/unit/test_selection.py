"""The statements behind pacts-for-verification: WIP candidates, current deployments, labels."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

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
    Version,
)
from contract_broker.repositories import selection

T0 = datetime(2024, 6, 1, tzinfo=UTC)


class World:
    """A consumer and a provider (and another of each), with versions, branches, tags, pacts."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.consumer, self.provider = Pacticipant(name="consumer"), Pacticipant(name="provider")
        self.other_consumer = Pacticipant(name="other-consumer")
        self.other_provider = Pacticipant(name="other-provider")
        session.add_all([self.consumer, self.provider, self.other_consumer, self.other_provider])
        session.flush()
        self.versions: dict[str, Version] = {}
        self.branches: dict[str, Branch] = {}
        self.publications: dict[tuple[str, str], PactPublication] = {}

    def version(
        self, number: str, *, branch: str | None = None, tags: tuple[str, ...] = ()
    ) -> Version:
        version = Version(pacticipant_id=self.consumer.id, number=number)
        self.session.add(version)
        self.session.flush()
        if branch is not None:
            if branch not in self.branches:
                self.branches[branch] = Branch(pacticipant_id=self.consumer.id, name=branch)
                self.session.add(self.branches[branch])
                self.session.flush()
            self.session.add(
                BranchVersion(
                    branch_id=self.branches[branch].id,
                    version_id=version.id,
                    pacticipant_id=self.consumer.id,
                    branch_name=branch,
                )
            )
        for tag in tags:
            self.session.add(Tag(name=tag, version_id=version.id, pacticipant_id=self.consumer.id))
        self.session.flush()
        self.versions[number] = version
        return version

    def publish(self, number: str, *, day: int, provider: Pacticipant | None = None) -> None:
        provider = provider or self.provider
        pact = PactVersion(
            consumer_id=self.consumer.id,
            provider_id=provider.id,
            sha=f"sha-{number}-{provider.name}",
            content="{}",
        )
        self.session.add(pact)
        self.session.flush()
        publication = PactPublication(
            consumer_version_id=self.versions[number].id,
            consumer_id=self.consumer.id,
            provider_id=provider.id,
            pact_version_id=pact.id,
            created_at=T0 + timedelta(days=day),
        )
        self.session.add(publication)
        self.session.flush()
        self.publications[number, provider.name] = publication


def _found(rows: list[selection.Selected], world: World) -> set[tuple[str, str | None, str | None]]:
    numbers = {v.id: n for n, v in world.versions.items()}
    return {(numbers[r.consumer_version_id], r.branch, r.tag) for r in rows}


def test_wip_candidates_are_the_branch_and_tag_heads_published_since_the_date(
    session: Session,
) -> None:
    world = World(session)
    world.version("1", branch="main", tags=("prod",))
    world.version("2", branch="feat", tags=("beta",))
    world.version("3", branch="main", tags=("prod",))
    world.version("4", branch="feat")
    world.version("5", branch="other-feat")
    for number, day in (("1", 0), ("2", 5), ("3", 6), ("4", 7), ("5", 1)):
        world.publish(number, day=day)
    world.publish("3", day=9, provider=world.other_provider)

    since_day_2 = selection.wip_candidates(session, world.provider.id, T0 + timedelta(days=2))
    assert _found(since_day_2, world) == {
        ("3", "main", None),  # main's head (version 1 is no head any more)
        ("4", "feat", None),  # feat's head (version 2 is no branch head ...)
        ("2", None, "beta"),  # ... but the head of tag beta
        ("3", None, "prod"),  # prod's head; other-feat's head 5 was published before the date
    }
    since_day_6 = selection.wip_candidates(session, world.provider.id, T0 + timedelta(days=6))
    assert _found(since_day_6, world) == {
        ("3", "main", None),
        ("4", "feat", None),
        ("3", None, "prod"),
    }
    later = selection.wip_candidates(session, world.provider.id, T0 + timedelta(days=8))
    assert later == []
    other = selection.wip_candidates(session, world.other_provider.id, T0)
    assert _found(other, world) == {("3", "main", None), ("3", None, "prod")}


def test_in_environment_finds_only_current_deployments_and_releases_deployed_first(
    session: Session,
) -> None:
    world = World(session)
    test, production = (
        Environment(uuid=str(uuid.uuid4()), name=name, production=name == "production")
        for name in ("test", "production")
    )
    session.add_all([test, production])
    for number in "12345":
        world.version(number)
        world.publish(number, day=int(number))
    session.flush()
    ended = T0 + timedelta(days=10)

    def deploy(number: str, environment: Environment, *, undeployed: bool = False) -> None:
        session.add(
            DeployedVersion(
                uuid=str(uuid.uuid4()),
                version_id=world.versions[number].id,
                pacticipant_id=world.consumer.id,
                environment_id=environment.id,
                undeployed_at=ended if undeployed else None,
            )
        )

    def release(number: str, environment: Environment, *, ended_support: bool = False) -> None:
        session.add(
            ReleasedVersion(
                uuid=str(uuid.uuid4()),
                version_id=world.versions[number].id,
                pacticipant_id=world.consumer.id,
                environment_id=environment.id,
                support_ended_at=ended if ended_support else None,
            )
        )

    deploy("1", production, undeployed=True)
    deploy("2", production)
    deploy("3", test)
    release("4", production)
    release("5", production, ended_support=True)
    release("2", test)
    session.flush()
    numbers = {v.id: n for n, v in world.versions.items()}

    def found(**options: object) -> list[tuple[str, str | None, str | None]]:
        rows = selection.in_environment(session, world.provider.id, None, **options)  # type: ignore[arg-type]
        return [(numbers[r.consumer_version_id], r.environment, r.deployment) for r in rows]

    either = found(environment_id=None, deployed=True, released=True)
    assert sorted(either[:2]) == [("2", "production", "deployed"), ("3", "test", "deployed")]
    assert sorted(either[2:]) == [("2", "test", "released"), ("4", "production", "released")]
    assert found(environment_id=production.id, deployed=True, released=False) == [
        ("2", "production", "deployed")
    ]
    assert found(environment_id=production.id, deployed=False, released=True) == [
        ("4", "production", "released")
    ]
    assert found(environment_id=None, deployed=False, released=False) == []
    scoped = selection.in_environment(
        session,
        world.provider.id,
        [world.other_consumer.id],
        environment_id=None,
        deployed=True,
        released=True,
    )
    assert scoped == []


def test_labels_name_each_publication_by_version_number_and_sha(session: Session) -> None:
    world = World(session)
    for number in ("1.0.0", "1.1.0"):
        world.version(number)
        world.publish(number, day=1)
    wanted = {world.publications[n, "provider"].id: n for n in ("1.0.0", "1.1.0")}

    labels = selection.labels(session, wanted)

    assert labels == {i: (n, f"sha-{n}-provider") for i, n in wanted.items()}
    assert selection.labels(session, []) == {}
