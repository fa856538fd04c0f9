"""Pacticipants as the API shows them: each with its labels and latest version.

A list is three queries whatever its length: the pacticipants, all their labels, all their
latest versions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from contract_broker.errors import NotFound
from contract_broker.models import Pacticipant, PacticipantLabel, Version
from contract_broker.repositories import labels as label_repo
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.repositories.latest_versions import latest_versions

__all__ = ["PacticipantView", "all_pacticipants", "pacticipant_view", "with_label"]


@dataclass(frozen=True)
class PacticipantView:
    pacticipant: Pacticipant
    labels: tuple[PacticipantLabel, ...]
    latest_version: Version | None


def _views(session: Session, rows: Sequence[Pacticipant]) -> list[PacticipantView]:
    ids = [p.id for p in rows]
    labels = label_repo.labels_of(session, ids)
    latest = latest_versions(session, ids)
    return [PacticipantView(p, tuple(labels[p.id]), latest.get(p.id)) for p in rows]


def pacticipant_view(session: Session, name: str) -> PacticipantView:
    """The pacticipant called ``name`` (404 when there is none)."""
    pacticipant = pacticipant_repo.find_pacticipant(session, name)
    if pacticipant is None:
        raise NotFound(f"No pacticipant with name '{name}' found")
    return _views(session, [pacticipant])[0]


def all_pacticipants(session: Session) -> list[PacticipantView]:
    """Every pacticipant, by name ignoring case."""
    return _views(session, pacticipant_repo.list_pacticipants(session))


def with_label(session: Session, label: str) -> list[PacticipantView]:
    """The pacticipants labelled ``label``, by name ignoring case (none: an empty list)."""
    return _views(session, label_repo.pacticipants_with_label(session, label))
