"""``invoke deploy``, ``undeploy``, ``deploy-status``: options parsed here, the work in ``deploy``.

The gate itself (can-i-deploy, start, health check, switch over, record-deployment) is
``deploy.gate``; ``deploy/README.md`` explains it and ``deploy/environments.toml`` describes how
each pacticipant runs.
"""

from __future__ import annotations

import os
from pathlib import Path

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from contract_terms import ENVIRONMENTS, PACTICIPANTS
from deploy.config import DEFAULT_CONFIG, ConfigError, DeployConfig, load_config
from deploy.gate import check_environment, check_pacticipant, deploy_through_gate, undeploy_from
from deploy.status import status_lines
from tasks.brokercli import RETRIES_HELP
from tasks.tiers import REPO
from tasks.versioning import VERSION_HELP, derive_version, derived

__all__ = ["deploy", "deploy_status", "undeploy"]

_WHO = " or ".join(PACTICIPANTS)
_CONFIG_HELP = f"the deployment description (default: {DEFAULT_CONFIG.relative_to(REPO)})"


# Long options only: the automatic short flag of --health-timeout would be -h, shadowing --help.
@task(
    auto_shortflags=False,
    help={
        "pacticipant": f"what to deploy: {_WHO}",
        "version": VERSION_HELP,
        "to_environment": f"where to: {' or '.join(ENVIRONMENTS)}",
        "health_timeout": "seconds the health check may take (default: the config's, 10)",
        "config": _CONFIG_HELP,
        "retries": RETRIES_HELP,
    },
)
def deploy(
    c: Context,
    *,
    pacticipant: str = "",
    version: str = "",
    to_environment: str = "",
    health_timeout: int = 0,
    config: str = "",
    retries: str = "",
) -> None:
    """Deploy a version through the gate: can-i-deploy, start, health check, switch, record."""
    cfg = _load(config)
    check_pacticipant(cfg, pacticipant)
    check_environment(to_environment, "--to-environment")
    if health_timeout < 0:
        raise Exit("--health-timeout must be a positive number of seconds")
    the_version = derived(lambda: derive_version(os.environ, repo=REPO, explicit=version))
    deploy_through_gate(
        c,
        pacticipant=pacticipant,
        version=the_version.value,
        environment=to_environment,
        config=cfg,
        health_timeout=health_timeout or None,
        retries=retries,
    )


@task(
    help={
        "pacticipant": f"what to undeploy: {_WHO}",
        "environment": f"from where: {' or '.join(ENVIRONMENTS)}",
        "config": _CONFIG_HELP,
        "retries": RETRIES_HELP,
    }
)
def undeploy(
    c: Context, *, pacticipant: str = "", environment: str = "", config: str = "", retries: str = ""
) -> None:
    """Stop a pacticipant in an environment and record the undeployment in the broker."""
    undeploy_from(
        c, pacticipant=pacticipant, environment=environment, config=_load(config), retries=retries
    )


@task(name="deploy-status", help={"config": _CONFIG_HELP})
def deploy_status(c: Context, *, config: str = "") -> None:
    """Show what runs where on this machine: versions, URLs, pids, health."""
    for line in status_lines(_load(config)):
        print(line)


def _load(config: str) -> DeployConfig:
    path = Path(config) if config else DEFAULT_CONFIG
    try:
        return load_config(path if path.is_absolute() else REPO / path)
    except ConfigError as exc:
        raise Exit(f"deploy: {exc}") from None
