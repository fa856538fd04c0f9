"""What a version's page shows: can-i-deploy to each environment, and its matrix rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from contract_broker.hal import iso
from contract_broker.models import Version
from contract_broker.repositories import environments as environment_repo
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.settings import Settings

__all__ = ["version_page_context"]


def version_page_context(session: Session, settings: Settings, version: Version) -> dict[str, Any]:
    del settings
    tags = pacticipant_repo.tags_of_versions(session, [version.id])[version.id]
    branches = pacticipant_repo.branches_of_versions(session, [version.id])[version.id]
    return {
        "pacticipant": version.pacticipant.name,
        "version": version.number,
        "created": iso(version.created_at),
        "tags": [t.name for t in tags],
        "branches": [b.branch_name for b in branches],
        "environments": [
            {"name": e.name, "deployable": None, "reasons": []}
            for e in environment_repo.list_environments(session)
        ],
        "rows": [],
    }
