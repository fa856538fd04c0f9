"""Matrix rows: pacts of the selected versions, each with (maybe) one verification of it."""

from __future__ import annotations

from collections.abc import Collection
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union
from sqlalchemy.orm import Session

from contract_broker.repositories._conditions import either
from contract_broker.repositories._tables import PUBLICATIONS, VERIFICATIONS, ids, present
from contract_broker.repositories.matrix._results import described, matrix_rows
from contract_broker.repositories.matrix.types import Known, MatrixRow

__all__ = [
    "latest_of_its_pair",
    "row_columns",
    "rows_between_selectors",
    "rows_for_one_selector",
]


def latest_of_its_pair(verification: Any) -> ColumnElement[bool]:
    """The newest verification of its pact content by its provider version.

    A correlated max() rather than NOT EXISTS: PostgreSQL would plan the latter as one more
    join, and planning (not running) dominates this statement.
    """
    same = VERIFICATIONS.alias("same_pair")
    newest = (
        select(func.max(same.c.id))
        .where(
            same.c.pact_version_id == verification.c.pact_version_id,
            same.c.provider_version_id == verification.c.provider_version_id,
        )
        .scalar_subquery()
    )
    latest: ColumnElement[bool] = verification.c.id == newest
    return latest


def row_columns(publication: Any, verification: Any) -> list[Any]:
    """A matrix row's columns: the publication's, then its (maybe absent) verification's."""
    return [
        publication.c.id.label("pact_publication_id"),
        publication.c.consumer_id.label("consumer_id"),
        publication.c.provider_id.label("provider_id"),
        publication.c.consumer_version_id.label("consumer_version_id"),
        publication.c.pact_version_id.label("pact_version_id"),
        publication.c.revision_number.label("pact_revision"),
        publication.c.created_at.label("pact_created_at"),
        verification.c.id.label("verification_id"),
        verification.c.number.label("verification_number"),
        verification.c.success.label("success"),
        verification.c.execution_date.label("verified_at"),
        verification.c.created_at.label("verification_created_at"),
        verification.c.provider_version_id.label("provider_version_id"),
        verification.c.provider_contract_id.label("provider_contract_id"),
    ]


def _verified_by_selected(verification: Any, names: bool, versions: bool) -> ColumnElement[bool]:
    """By every version of the providers ``:names``, or by the provider versions ``:versions``."""
    return either(
        verification.c.provider_id.in_(ids("names")) if names else None,
        verification.c.provider_version_id.in_(ids("versions")) if versions else None,
    )


def _published_by_selected(publication: Any, names: bool, versions: bool) -> ColumnElement[bool]:
    """Of every version of the consumers ``:names``, or of the consumer versions ``:versions``."""
    return either(
        publication.c.consumer_id.in_(ids("names")) if names else None,
        publication.c.consumer_version_id.in_(ids("versions")) if versions else None,
    )


@cache
def _rows_for_one_selector(
    latest_only: bool, limited: bool, names: bool, versions: bool
) -> Select[Any]:
    as_consumer_pub = PUBLICATIONS.alias("cp")
    as_consumer_ver = VERIFICATIONS.alias("cv")
    join_on = as_consumer_ver.c.pact_version_id == as_consumer_pub.c.pact_version_id
    if latest_only:
        join_on = and_(join_on, latest_of_its_pair(as_consumer_ver))
    as_consumer = (
        select(*row_columns(as_consumer_pub, as_consumer_ver))
        .select_from(as_consumer_pub)
        .outerjoin(as_consumer_ver, join_on)
        .where(_published_by_selected(as_consumer_pub, names, versions))
    )
    as_provider_pub = PUBLICATIONS.alias("pp")
    as_provider_ver = VERIFICATIONS.alias("pv")
    conditions = [_verified_by_selected(as_provider_ver, names, versions)]
    if latest_only:
        conditions.append(latest_of_its_pair(as_provider_ver))
    as_provider = (
        select(*row_columns(as_provider_pub, as_provider_ver))
        .select_from(as_provider_ver)
        .join(
            as_provider_pub,
            as_provider_pub.c.pact_version_id == as_provider_ver.c.pact_version_id,
        )
        .where(*conditions)
    )
    return described(union(as_consumer, as_provider).subquery("matrix"), limited)


def rows_for_one_selector(
    session: Session,
    *,
    pacticipant_ids: Collection[int],
    version_ids: Collection[int],
    latest_only: bool,
    limit: int | None,
    known: Known,
) -> list[MatrixRow]:
    """One selector: its pacts with any verification, and its verifications of any pact.

    ``pacticipant_ids`` selects every version of the pacticipant, ``version_ids`` one version.
    """
    names, versions = list(set(pacticipant_ids)), list(set(version_ids))
    statement = _rows_for_one_selector(latest_only, limit is not None, bool(names), bool(versions))
    params = present(names=names, versions=versions)
    return matrix_rows(session, statement, limit, params, known)


@cache
def _rows_between_selectors(
    latest_only: bool, limited: bool, names: bool, versions: bool, verifiers: tuple[bool, bool]
) -> Select[Any]:
    publication = PUBLICATIONS.alias("p")
    verification = VERIFICATIONS.alias("v")
    by_verifiers = either(
        verification.c.provider_id.in_(ids("verifier_names")) if verifiers[0] else None,
        verification.c.provider_version_id.in_(ids("verifier_versions")) if verifiers[1] else None,
    )
    join_on = and_(
        verification.c.pact_version_id == publication.c.pact_version_id,
        verification.c.consumer_id.in_(ids("everyone")),
        by_verifiers,
    )
    if latest_only:
        join_on = and_(join_on, latest_of_its_pair(verification))
    source = (
        select(*row_columns(publication, verification))
        .select_from(publication)
        .outerjoin(verification, join_on)
        .where(
            publication.c.provider_id.in_(ids("everyone")),
            _published_by_selected(publication, names, versions),
            or_(
                publication.c.consumer_id.in_(ids("specified")),
                publication.c.provider_id.in_(ids("specified")),
            ),
        )
    )
    return described(source.subquery("matrix"), limited)


def rows_between_selectors(
    session: Session,
    *,
    pacticipant_ids: Collection[int],
    version_ids: Collection[int],
    all_pacticipant_ids: Collection[int],
    specified_pacticipant_ids: Collection[int],
    verifier_ids: tuple[Collection[int], Collection[int]],
    latest_only: bool,
    limit: int | None,
    known: Known,
) -> list[MatrixRow]:
    """Pacts between the selected versions, left-joined to their verifications by selected versions.

    Verifications are restricted before the join, so a pact not verified by a selected provider
    version still yields a row (with no verification): that is how "unknown" is detected.
    ``verifier_ids`` (every version of these pacticipants, these versions) are the selected
    ones that may have verified; fewer values for the index to probe for each pact.
    """
    names, versions = list(set(pacticipant_ids)), list(set(version_ids))
    verifier_names, verifier_versions = list(set(verifier_ids[0])), list(set(verifier_ids[1]))
    statement = _rows_between_selectors(
        latest_only,
        limit is not None,
        bool(names),
        bool(versions),
        (bool(verifier_names), bool(verifier_versions)),
    )
    params = {
        **present(
            names=names,
            versions=versions,
            verifier_names=verifier_names,
            verifier_versions=verifier_versions,
        ),
        "everyone": list(set(all_pacticipant_ids)),
        "specified": list(set(specified_pacticipant_ids)),
    }
    return matrix_rows(session, statement, limit, params, known)
