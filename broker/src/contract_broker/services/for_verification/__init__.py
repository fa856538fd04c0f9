"""Pacts for verification: consumer version selectors, pending status, WIP pacts.

What ``Verifier.broker_source`` and ``pact verifier`` ask for before verifying a provider. The
rules follow the Pact Broker:

- selectors pick pact publications; the same content (SHA) picked by several selectors is one
  entry, shown for its newest consumer version;
- an empty selector list means: each consumer's main branch head (else its latest version tagged
  with the main branch name, else its latest), plus everything deployed or released;
- pending: content never successfully verified by this provider branch (or, before the branch
  existed, by a version on another branch) — failures of pending pacts do not fail the build;
- WIP: branch and tag heads published since a date that are still pending for this branch.

One module per reason to change: ``query`` parses and validates the request, ``descriptions``
says why each pact was selected, ``pending`` is the pure pending rule; ``service`` is the only
module that queries the database (selectors run, WIP candidates, pending decided).
"""

from __future__ import annotations

from contract_broker.services.for_verification.descriptions import describe
from contract_broker.services.for_verification.pending import is_pending
from contract_broker.services.for_verification.query import Query, Selector, parse_query
from contract_broker.services.for_verification.service import (
    VerifiablePact,
    pacts_for_verification,
)

__all__ = [
    "Query",
    "Selector",
    "VerifiablePact",
    "describe",
    "is_pending",
    "pacts_for_verification",
    "parse_query",
]
