"""The tables as SQLAlchemy Core sees them, and how cached Core statements are run.

Hot read paths (can-i-deploy, pacts-for-verification) build their statements once per shape with
bound parameters and run them on the session's connection: building SQLAlchemy constructs and
loading ORM objects cost more than running these indexed queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import BindParameter, Row, Table, bindparam
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
    Verification,
    Version,
)

__all__ = [
    "BRANCHES",
    "BRANCH_VERSIONS",
    "DEPLOYED",
    "ENVIRONMENTS",
    "PACTICIPANTS",
    "PACT_VERSIONS",
    "PUBLICATIONS",
    "RELEASED",
    "TAGS",
    "VERIFICATIONS",
    "VERSIONS",
    "ids",
    "present",
    "run",
]


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


PACTICIPANTS = _table(Pacticipant)
VERSIONS = _table(Version)
BRANCHES = _table(Branch)
BRANCH_VERSIONS = _table(BranchVersion)
TAGS = _table(Tag)
PACT_VERSIONS = _table(PactVersion)
PUBLICATIONS = _table(PactPublication)
VERIFICATIONS = _table(Verification)
ENVIRONMENTS = _table(Environment)
DEPLOYED = _table(DeployedVersion)
RELEASED = _table(ReleasedVersion)


def ids(name: str) -> BindParameter[Any]:
    """A list parameter for ``IN``; an empty list matches nothing."""
    return bindparam(name, expanding=True)


def present(**lists: list[Any]) -> dict[str, list[Any]]:
    """The non-empty list parameters (the statement for empty ones leaves them out)."""
    return {name: values for name, values in lists.items() if values}


def run(session: Session, statement: Any, **params: Any) -> Sequence[Row[*tuple[Any, ...]]]:
    """Run a Core statement on the session's connection: same transaction, no ORM processing."""
    return session.connection().execute(statement, params).all()
