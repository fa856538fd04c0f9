"""Pacticipant labels: add (insert-or-get), find, delete, and the labels of many pacticipants."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from contract_broker.models import Pacticipant, PacticipantLabel
from contract_broker.repositories.unique import insert_or_get

__all__ = [
    "add_label",
    "delete_label",
    "find_label",
    "label_names",
    "labels_of",
    "pacticipants_with_label",
]


def add_label(
    session: Session, pacticipant: Pacticipant, name: str
) -> tuple[PacticipantLabel, bool]:
    """The label ``name`` of ``pacticipant``; True when this call created it."""
    return insert_or_get(
        session,
        PacticipantLabel,
        {"pacticipant_id": pacticipant.id, "name": name},
        key=["pacticipant_id", "name"],
    )


def find_label(session: Session, pacticipant_id: int, name: str) -> PacticipantLabel | None:
    return session.scalar(
        select(PacticipantLabel).where(
            PacticipantLabel.pacticipant_id == pacticipant_id, PacticipantLabel.name == name
        )
    )


def delete_label(session: Session, pacticipant_id: int, name: str) -> bool:
    """Remove the label; False when there was none (a concurrent delete may have won)."""
    deleted = session.execute(
        delete(PacticipantLabel)
        .where(PacticipantLabel.pacticipant_id == pacticipant_id, PacticipantLabel.name == name)
        .returning(PacticipantLabel.id)
    ).first()
    return deleted is not None


def labels_of(
    session: Session, pacticipant_ids: Iterable[int]
) -> dict[int, list[PacticipantLabel]]:
    """``{pacticipant id: its labels by name}``, in one query."""
    wanted = set(pacticipant_ids)
    result: dict[int, list[PacticipantLabel]] = {p: [] for p in wanted}
    if wanted:
        rows = session.scalars(
            select(PacticipantLabel)
            .where(PacticipantLabel.pacticipant_id.in_(wanted))
            .order_by(PacticipantLabel.name, PacticipantLabel.id)
        )
        for label in rows:
            result[label.pacticipant_id].append(label)
    return result


def pacticipants_with_label(session: Session, name: str) -> Sequence[Pacticipant]:
    """The pacticipants labelled ``name``, by name ignoring case (as ``GET /pacticipants``)."""
    return session.scalars(
        select(Pacticipant)
        .join(PacticipantLabel, PacticipantLabel.pacticipant_id == Pacticipant.id)
        .where(PacticipantLabel.name == name)
        .order_by(func.lower(Pacticipant.name), Pacticipant.name)
    ).all()


def label_names(session: Session) -> Sequence[str]:
    """Every label name in use, once each, in order."""
    return session.scalars(
        select(PacticipantLabel.name).distinct().order_by(PacticipantLabel.name)
    ).all()
