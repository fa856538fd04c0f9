"""The pipeline as Invoke tasks: one task per CI tier (``uv run invoke --list``)."""

from __future__ import annotations

from invoke.collection import Collection

from tasks import bench, checks, contracts, deploy, embedded, load, pipeline, verify, webhooks

ns = Collection(
    checks.unit,
    checks.contract_consumer,
    contracts.publish,
    verify.provider_verify,
    verify.webhook_verify,
    contracts.can_i_deploy,
    contracts.record_deployment,
    contracts.record_release,
    deploy.deploy,
    deploy.undeploy,
    deploy.deploy_status,
    embedded.broker,
    checks.lint,
    checks.test,
    webhooks.register_webhook,
    pipeline.ci,
    bench.bench_broker,
    load.soak_broker,
    load.fuzz_broker,
)
ns.configure({"run": {"echo": True, "pty": False}})
