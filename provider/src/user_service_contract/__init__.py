"""Provider verification harness for user-service: states, pact sources, one verify function.

This package uses pact-python; the deployable ``user_service`` package never imports it.
"""

from __future__ import annotations

from user_service_contract.plan import Shard, ShardError, VerifiablePact
from user_service_contract.publishing import PublishOptions
from user_service_contract.report import Mismatch, VerificationReport
from user_service_contract.sources import BrokerSource, LocalPacts, PactSource, PactUrl
from user_service_contract.verification import verify_provider

__all__ = [
    "BrokerSource",
    "LocalPacts",
    "Mismatch",
    "PactSource",
    "PactUrl",
    "PublishOptions",
    "Shard",
    "ShardError",
    "VerifiablePact",
    "VerificationReport",
    "verify_provider",
]
