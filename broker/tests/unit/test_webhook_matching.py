"""Which webhooks a consumer/provider pair triggers, by name, by label or for anyone — decided
as the Pact Broker's ``find_by_consumer_and_or_provider`` decides, in one query."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from contract_broker.models import Pacticipant, PacticipantLabel, Webhook
from contract_broker.repositories.webhooks import label_names, matching_webhooks

# Pacticipants and their labels.
LABELS = {
    "web": ["team-a", "frontend"],
    "mobile": ["team-a"],
    "batch": [],
    "users": ["core"],
    "billing": [],
}

# A webhook selects each side by name, by label, or not at all (None): anyone.
WEBHOOKS: dict[str, dict[str, Any]] = {
    "any pair": {},
    "consumer web": {"consumer": "web"},
    "provider users": {"provider": "users"},
    "web and users": {"consumer": "web", "provider": "users"},
    "consumers team-a": {"consumer_label": "team-a"},
    "consumers team-a and users": {"consumer_label": "team-a", "provider": "users"},
    "providers core": {"provider_label": "core"},
    "batch and providers core": {"consumer": "batch", "provider_label": "core"},
    "team-a and core": {"consumer_label": "team-a", "provider_label": "core"},
    "consumers nobody-has": {"consumer_label": "nobody-has"},
    "disabled team-a": {"consumer_label": "team-a", "enabled": False},
}


@pytest.fixture
def session(session: Session) -> Session:
    """The unit tests' migrated session (tests/unit/conftest.py), with the labelled
    pacticipants and the webhooks above."""
    ids = {}
    for name, labels in LABELS.items():
        pacticipant = Pacticipant(name=name, display_name=name)
        session.add(pacticipant)
        session.flush()
        ids[name] = pacticipant.id
        session.add_all(PacticipantLabel(pacticipant_id=pacticipant.id, name=label)
                        for label in labels)  # fmt: skip
    for index, (description, selection) in enumerate(WEBHOOKS.items()):
        session.add(
            Webhook(
                uuid=f"webhook-{index:02d}-000000000",
                description=description,
                consumer_id=ids.get(selection.get("consumer", "")),
                provider_id=ids.get(selection.get("provider", "")),
                consumer_label=selection.get("consumer_label"),
                provider_label=selection.get("provider_label"),
                enabled=selection.get("enabled", True),
                events=["contract_published"],
                request={"method": "POST", "url": "https://ci.example/"},
            )
        )
    session.flush()
    session.info["ids"] = ids
    return session


@pytest.mark.parametrize(
    ("consumer", "provider", "expected"),
    [
        ("web", "users", [
            "any pair", "consumer web", "provider users", "web and users", "consumers team-a",
            "consumers team-a and users", "providers core", "team-a and core",
        ]),
        ("mobile", "users", [
            "any pair", "provider users", "consumers team-a", "consumers team-a and users",
            "providers core", "team-a and core",
        ]),
        ("mobile", "billing", ["any pair", "consumers team-a"]),
        ("batch", "users", [
            "any pair", "provider users", "providers core", "batch and providers core",
        ]),
        ("batch", "billing", ["any pair"]),
        ("users", "web", ["any pair"]),  # labels select one side only
    ],
)  # fmt: skip
def test_matching_webhooks(
    session: Session, consumer: str, provider: str, expected: list[str]
) -> None:
    ids = session.info["ids"]
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        found = matching_webhooks(session, ids[consumer], ids[provider])
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert [w.description for w in found] == expected
    assert len(statements) == 1


def test_label_names(session: Session) -> None:
    ids = session.info["ids"]

    names = label_names(session, [ids["web"], ids["batch"]])

    assert names == {ids["web"]: ["frontend", "team-a"], ids["batch"]: []}
