"""What a version's page shows: can-i-deploy to each environment, and its matrix rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from contract_broker.hal import iso
from contract_broker.models import Version
from contract_broker.repositories import environments as environment_repo
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.services import matrix
from contract_broker.settings import Settings

__all__ = ["version_page_context"]


def version_page_context(session: Session, settings: Settings, version: Version) -> dict[str, Any]:
    """The can-i-deploy answer (with reasons) per environment, as the CLI would get it."""
    del settings
    name = version.pacticipant.name
    specified = (matrix.Selector(pacticipant=name, version=version.number),)
    answers = []
    for environment in environment_repo.list_environments(session):
        query = matrix.MatrixQuery(
            selectors=specified,
            options=matrix.Options(latestby="cvpv", environment=environment.name),
        )
        summary = matrix.find(session, query).summary
        answers.append(
            {
                "name": environment.display_name or environment.name,
                "deployable": summary.deployable is True,
                "reasons": [reason.text for reason in summary.reasons],
            }
        )
    everything = matrix.find(
        session, matrix.MatrixQuery(selectors=specified, options=matrix.Options(latestby="cvpv"))
    )
    rows = [
        {
            "consumer": row.consumer_name,
            "consumer_version": row.consumer_version_number,
            "provider": row.provider_name,
            "provider_version": row.provider_version_number,
            "success": row.success,
        }
        for row in everything.considered
    ]
    tags = pacticipant_repo.tags_of_versions(session, [version.id])[version.id]
    branches = pacticipant_repo.branches_of_versions(session, [version.id])[version.id]
    return {
        "pacticipant": name,
        "version": version.number,
        "created": iso(version.created_at),
        "tags": [t.name for t in tags],
        "branches": [b.branch_name for b in branches],
        "environments": answers,
        "rows": rows,
    }
