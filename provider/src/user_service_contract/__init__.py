"""Provider verification harness for user-service: states, pact sources, one verify function.

This package uses pact-python; the deployable ``user_service`` package never imports it.
"""

from __future__ import annotations

from user_service_contract.report import Mismatch, VerificationReport
from user_service_contract.sources import BrokerSource, LocalPacts, PactSource, PactUrl
from user_service_contract.verification import PublishOptions, verify_provider

__all__ = [
    "BrokerSource",
    "LocalPacts",
    "Mismatch",
    "PactSource",
    "PactUrl",
    "PublishOptions",
    "VerificationReport",
    "verify_provider",
]
