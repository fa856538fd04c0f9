"""How a matrix row statement ends: SHA, order and limit, then names and numbers filled in."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, literal, select, union_all
from sqlalchemy.orm import Session

from contract_broker.repositories._tables import (
    PACT_VERSIONS,
    PACTICIPANTS,
    VERSIONS,
    ids,
    present,
    run,
)
from contract_broker.repositories.matrix.types import Known, MatrixRow

__all__ = ["described", "matrix_rows"]


def described(rows: Any, limited: bool) -> Select[Any]:
    """The rows with their SHA, newest action first, at most ``:limit`` of them.

    Names and version numbers are not joined here: the caller mostly knows them already, and
    on PostgreSQL planning the extra joins costs more than running the whole statement.
    """
    last_action = case(
        (
            and_(
                rows.c.verification_created_at.is_not(None),
                rows.c.verification_created_at > rows.c.pact_created_at,
            ),
            rows.c.verification_created_at,
        ),
        else_=rows.c.pact_created_at,
    )
    query = (
        select(
            rows.c.pact_publication_id,
            rows.c.consumer_id,
            rows.c.consumer_version_id,
            rows.c.provider_id,
            rows.c.pact_version_id,
            PACT_VERSIONS.c.sha,
            rows.c.pact_revision,
            rows.c.pact_created_at,
            rows.c.verification_id,
            rows.c.verification_number,
            rows.c.success,
            rows.c.verified_at,
            rows.c.provider_version_id,
            rows.c.provider_contract_id,
        )
        .select_from(rows)
        .join(PACT_VERSIONS, PACT_VERSIONS.c.id == rows.c.pact_version_id)
        .order_by(
            last_action.desc(), rows.c.pact_publication_id.desc(), rows.c.verification_id.desc()
        )
    )
    return query.limit(bindparam("limit")) if limited else query


@cache
def _names_and_numbers(pacticipants: bool, versions: bool) -> Any:
    parts = []
    if pacticipants:
        parts.append(
            select(
                literal("pacticipant").label("kind"), PACTICIPANTS.c.id, PACTICIPANTS.c.name
            ).where(PACTICIPANTS.c.id.in_(ids("pacticipants")))
        )
    if versions:
        parts.append(
            select(literal("version").label("kind"), VERSIONS.c.id, VERSIONS.c.number).where(
                VERSIONS.c.id.in_(ids("versions"))
            )
        )
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _complete(session: Session, rows: Sequence[Any], known: Known) -> Known:
    """``known`` plus the names and numbers the rows need that it lacks (one statement)."""
    pacticipants = {r[1] for r in rows} | {r[3] for r in rows}
    versions = {r[2] for r in rows} | {r[12] for r in rows if r[12] is not None}
    missing_pacticipants = list(pacticipants - known.names.keys())
    missing_versions = list(versions - known.numbers.keys())
    if not missing_pacticipants and not missing_versions:
        return known
    statement = _names_and_numbers(bool(missing_pacticipants), bool(missing_versions))
    params = present(pacticipants=missing_pacticipants, versions=missing_versions)
    names, numbers = dict(known.names), dict(known.numbers)
    for kind, key, value in run(session, statement, **params):
        (names if kind == "pacticipant" else numbers)[key] = value
    return Known(names, numbers)


def matrix_rows(
    session: Session, statement: Any, limit: int | None, params: dict[str, Any], known: Known
) -> list[MatrixRow]:
    if limit is not None:
        params["limit"] = limit
    rows = run(session, statement, **params)
    known = _complete(session, rows, known)
    names, numbers = known.names, known.numbers
    return [
        MatrixRow(
            pact_publication_id=row[0],
            consumer_id=row[1],
            consumer_name=names[row[1]],
            consumer_version_id=row[2],
            consumer_version_number=numbers[row[2]],
            provider_id=row[3],
            provider_name=names[row[3]],
            pact_version_id=row[4],
            pact_version_sha=row[5],
            pact_revision=row[6],
            pact_created_at=row[7],
            verification_id=row[8],
            verification_number=row[9],
            success=None if row[10] is None else bool(row[10]),
            verified_at=row[11],
            provider_version_id=row[12],
            provider_version_number=None if row[12] is None else numbers[row[12]],
            provider_contract_id=row[13],
        )
        for row in rows
    ]
