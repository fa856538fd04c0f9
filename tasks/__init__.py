"""The pipeline as Invoke tasks: one task per CI tier (``uv run invoke --list``)."""

from __future__ import annotations

import sys
from pathlib import Path

from invoke.collection import Collection

# Invoke puts tasks/ on sys.path, not the repository root, where the deploy library lives (deploy/,
# beside its environments.toml); pytest's `pythonpath = ["."]` does the same for the tests.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.append(_ROOT)

from tasks import (  # noqa: E402 (the deploy library is importable from here on)
    bench,
    bench_verify,
    broker_setup,
    cache,
    checks,
    contract_check,
    contracts,
    deployment,
    embedded,
    load,
    pipeline,
    provider_contracts,
    verify,
    webhooks,
)

ns = Collection(
    checks.unit,
    checks.contract_consumer,
    contract_check.contract_check,
    contracts.publish,
    provider_contracts.provider_contract,
    verify.provider_verify,
    verify.webhook_verify,
    contracts.can_i_deploy,
    contracts.record_deployment,
    contracts.record_release,
    deployment.deploy,
    deployment.undeploy,
    deployment.deploy_status,
    embedded.broker,
    checks.lint,
    cache.digest_task,
    cache.cache,
    checks.test,
    webhooks.register_webhook,
    broker_setup.broker_setup,
    pipeline.ci,
    bench.bench_broker,
    bench_verify.bench_verify,
    load.soak_broker,
    load.fuzz_broker,
)
ns.configure({"run": {"echo": True, "pty": False}})
