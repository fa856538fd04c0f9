"""SQL behind the matrix and can-i-deploy: versions for selectors, integrations and matrix rows.

Every function is one statement whatever the size of the data; callers batch their ids. The
statements are built once (per shape) with bound parameters: building SQLAlchemy constructs
costs more than running these indexed queries, and can-i-deploy sits in every pipeline.

``versions`` resolves selectors, ``integrations`` finds the pairs involved, ``rows`` the pacts
and verifications between them (finished by ``_results``), ``details`` what a version shows.
"""

from __future__ import annotations

from contract_broker.repositories.matrix.details import version_details
from contract_broker.repositories.matrix.integrations import integrations_between, integrations_of
from contract_broker.repositories.matrix.rows import rows_between_selectors, rows_for_one_selector
from contract_broker.repositories.matrix.types import (
    BranchInfo,
    EnvironmentInfo,
    IntegrationRef,
    Known,
    MatrixRow,
    TagInfo,
    VersionDetails,
    VersionRef,
)
from contract_broker.repositories.matrix.versions import (
    Lookup,
    lookup,
    lookup_with_integrations,
    versions_for_criteria,
    versions_with_numbers,
)

__all__ = [
    "BranchInfo",
    "EnvironmentInfo",
    "IntegrationRef",
    "Known",
    "Lookup",
    "MatrixRow",
    "TagInfo",
    "VersionDetails",
    "VersionRef",
    "integrations_between",
    "integrations_of",
    "lookup",
    "lookup_with_integrations",
    "rows_between_selectors",
    "rows_for_one_selector",
    "version_details",
    "versions_for_criteria",
    "versions_with_numbers",
]
