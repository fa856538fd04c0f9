"""Pacticipant labels, as the Pact Broker keeps them.

- labelling creates the pacticipant when it does not exist yet, and is idempotent: the label is
  created once (the database decides between concurrent requests), later PUTs find it;
- a label name is checked like every other name (not blank, one line, at most 255 characters,
  no NUL); spaces are allowed, as in the Pact Broker;
- reading or deleting a label of a missing pacticipant, or a missing label, is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from contract_broker.errors import NotFound
from contract_broker.models import Pacticipant, PacticipantLabel
from contract_broker.repositories import labels as repo
from contract_broker.services import pacticipants
from contract_broker.services.names import check_name

__all__ = ["LabelResult", "add_label", "delete_label", "get_label", "label_names"]


@dataclass(frozen=True)
class LabelResult:
    """A label with its pacticipant (the label's links name it)."""

    pacticipant: Pacticipant
    label: PacticipantLabel
    created: bool = False


def add_label(session: Session, pacticipant_name: str, label_name: str) -> LabelResult:
    """``PUT /pacticipants/{p}/labels/{l}``: created (True) or already there (False)."""
    check_name("label", label_name)
    pacticipant = pacticipants.get_or_create_pacticipant(
        session, pacticipant_name, field="pacticipant"
    )
    label, created = repo.add_label(session, pacticipant, label_name)
    return LabelResult(pacticipant, label, created)


def get_label(session: Session, pacticipant_name: str, label_name: str) -> LabelResult:
    pacticipant = pacticipants.get_pacticipant(session, pacticipant_name)
    label = repo.find_label(session, pacticipant.id, label_name)
    if label is None:
        raise NotFound(_missing(pacticipant_name, label_name))
    return LabelResult(pacticipant, label)


def delete_label(session: Session, pacticipant_name: str, label_name: str) -> None:
    pacticipant = pacticipants.get_pacticipant(session, pacticipant_name)
    if not repo.delete_label(session, pacticipant.id, label_name):
        raise NotFound(_missing(pacticipant_name, label_name))


def label_names(session: Session) -> list[str]:
    """Every label in use, once (``GET /labels``)."""
    return list(repo.label_names(session))


def _missing(pacticipant_name: str, label_name: str) -> str:
    return f"No label '{label_name}' found for pacticipant '{pacticipant_name}'"
