"""The pipeline as Invoke tasks: one task per CI tier (``uv run invoke --list``)."""

from __future__ import annotations

from invoke.collection import Collection

from tasks import checks

ns = Collection(
    checks.unit,
    checks.contract_consumer,
    checks.provider_verify,
    checks.lint,
    checks.test,
    checks.ci,
)
ns.configure({"run": {"echo": True, "pty": False}})
