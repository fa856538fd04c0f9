"""The matrix and can-i-deploy: query parsing, selector resolution and the deployable decision.

The rules follow the Pact Broker's: specified selectors are resolved to versions; the
integrations they take part in are found; when the query names a target (an environment, a tag,
the latest versions or the main branch) selectors for the other side are inferred from it; the
rows are the pacts of the selected consumer versions left-joined to their verifications by the
selected provider versions; and the answer is

- false when a specified version does not exist,
- null (unknown) when a considered row has no verification or a required integration has no row,
- true when every considered row succeeded (also when there are none),
- false otherwise.

One module per step: ``query`` parses and validates, ``resolution`` resolves selectors and
merges integrations, ``rows`` applies latestby, ignores and sorts, ``decision`` answers and
explains; they are pure functions over ``types``, to be table-tested. ``service`` is the only
module that queries the database: ``matrix``, ``can_i_deploy`` and ``find``.
"""

from __future__ import annotations

# The rows and version details a MatrixResult holds, for whoever renders one.
from contract_broker.repositories.matrix import EnvironmentInfo, MatrixRow, VersionDetails
from contract_broker.services.matrix.decision import Reason, ReasonKind, Summary, summarize
from contract_broker.services.matrix.query import (
    group_selectors,
    parse_can_i_deploy_query,
    parse_matrix_query,
    validate_matrix_query,
)
from contract_broker.services.matrix.resolution import merge_integrations, resolve_selector
from contract_broker.services.matrix.rows import apply_latestby, sort_rows, split_ignored
from contract_broker.services.matrix.service import MatrixResult, can_i_deploy, find, matrix
from contract_broker.services.matrix.types import (
    DEFAULT_LIMIT,
    LATESTBY,
    NO_ID,
    Integration,
    Kind,
    MatrixQuery,
    Options,
    Resolved,
    Selector,
)

# Not part of the interface, but importable from here as before (the rule tables use it).
from contract_broker.services.matrix.types import MAX_LIMIT as MAX_LIMIT

__all__ = [
    "DEFAULT_LIMIT",
    "LATESTBY",
    "NO_ID",
    "EnvironmentInfo",
    "Integration",
    "Kind",
    "MatrixQuery",
    "MatrixResult",
    "MatrixRow",
    "Options",
    "Reason",
    "ReasonKind",
    "Resolved",
    "Selector",
    "Summary",
    "VersionDetails",
    "apply_latestby",
    "can_i_deploy",
    "find",
    "group_selectors",
    "matrix",
    "merge_integrations",
    "parse_can_i_deploy_query",
    "parse_matrix_query",
    "resolve_selector",
    "sort_rows",
    "split_ignored",
    "summarize",
    "validate_matrix_query",
]
