"""What a version's page shows: can-i-deploy to each environment, and its matrix rows."""

from __future__ import annotations

from typing import Any

from contract_broker.hal import iso
from contract_broker.services.matrix import DEFAULT_LIMIT
from contract_broker.services.page_views import VersionPage
from contract_broker.ui.humanize import env_title
from contract_broker.ui.pagination import paginate

__all__ = ["version_page_context"]


def version_page_context(page: VersionPage, page_asked: str | None = None) -> dict[str, Any]:
    """The can-i-deploy answer (with reasons) per environment, as the CLI would get it, and
    one page of its matrix rows."""
    version = page.version
    rows, pager = paginate(page.matrix.considered, page_asked)
    return {
        "pacticipant": version.pacticipant.name,
        "version": version.number,
        "created": iso(version.created_at),
        "tags": page.tags,
        "branches": page.branches,
        "environments": [
            {
                "name": env_title(environment),
                "deployable": summary.deployable is True,
                "reasons": [
                    {"sentence": reason.sentence, "details": reason.details}
                    for reason in summary.reasons
                ],
            }
            for environment, summary in page.answers
        ],
        "rows": [
            {
                "consumer": row.consumer_name,
                "consumer_version": row.consumer_version_number,
                "provider": row.provider_name,
                "provider_version": row.provider_version_number,
                "success": row.success,
            }
            for row in rows
        ],
        "pager": pager,
        # The matrix query answers with at most DEFAULT_LIMIT rows, as the API's does.
        "row_limit": DEFAULT_LIMIT if pager.total >= DEFAULT_LIMIT else None,
    }
