"""``invoke deploy``: a version reaches an environment only through the gate.

can-i-deploy (the broker's matrix, official CLI) → start the new version → health check →
switch over → record-deployment. Refused: nothing starts. Failed health check: the new process
is stopped, the previous version keeps running, nothing is recorded. How each pacticipant runs
is described in ``deploy/environments.toml``; ``deploy/README.md`` explains it.

For a pipeline (e.g. the end of ``invoke ci``), with its own state folder and ports::

    config = dataclasses.replace(load_config(path), state_dir=tmp)
    try:
        for environment in ENVIRONMENTS:  # test, then production
            for name in (USER_SERVICE, BILLING_SERVICE):  # billing checks user-service's health
                deploy_through_gate(c, pacticipant=name, version=v,
                                    environment=environment, config=config)
    finally:
        for environment in ENVIRONMENTS:
            stop_all(environment, config=config)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from contract_terms import ENVIRONMENTS, PACTICIPANTS
from tasks import contracts
from tasks.brokercli import RETRIES_HELP, broker_url, one_line_failure, pact_broker, retries_args
from tasks.deploy_config import (
    DEFAULT_CONFIG,
    ConfigError,
    DeployConfig,
    Library,
    Service,
    load_config,
)
from tasks.deploy_health import probe
from tasks.deploy_rollout import Site, configure, remove, roll_out, shown
from tasks.deploy_runtime import Deployed, FolderError, running_pid
from tasks.tiers import REPO
from tasks.versioning import VERSION_HELP, derive_version, derived

__all__ = [
    "deploy",
    "deploy_status",
    "deploy_through_gate",
    "stop_all",
    "undeploy",
    "undeploy_from",
]

_WHO = " or ".join(PACTICIPANTS)
_CONFIG_HELP = f"the deployment description (default: {DEFAULT_CONFIG.relative_to(REPO)})"


def deploy_through_gate(
    c: Context,
    *,
    pacticipant: str,
    version: str,
    environment: str,
    config: DeployConfig | None = None,
    health_timeout: float | None = None,
    retries: str = "",
) -> Deployed:
    """can-i-deploy, start, health check, switch over, record-deployment; ``Exit`` on failure.

    ``health_timeout`` (seconds) replaces the configured one. Returns what now runs.
    """
    cfg = config or _load("")
    spec = _spec(cfg, pacticipant)
    _environment(environment, "--to-environment")
    who = f"{pacticipant} {version}"
    print(f"deploy: {who} to {environment}")
    try:
        contracts.can_i_deploy(
            c, pacticipant=pacticipant, version=version, to_environment=environment, retries=retries
        )
    except Exit as exc:
        raise Exit(
            f"deploy: {who} not deployed to {environment}: {_line(exc)}; "
            "nothing was started or recorded",
            code=exc.code or 1,
        ) from None
    site = Site(cfg, environment)
    called = cfg.service(spec.calls) if isinstance(spec, Library) else spec
    timeout = health_timeout or called.health_timeout
    with _usable("deploy"), site.folder.locked():
        if isinstance(spec, Service):
            deployed = roll_out(site, spec, version=version, timeout=timeout)
        else:
            deployed = configure(site, spec, version=version, timeout=timeout)
        try:
            contracts.record_deployment(
                c,
                pacticipant=pacticipant,
                version=version,
                environment=environment,
                retries=retries,
            )
        except Exit as exc:
            raise Exit(
                f"deploy: {who} runs in {environment} but is not recorded ({_line(exc)}): "
                f"run `uv run invoke record-deployment --pacticipant {pacticipant} "
                f"--version {version} --environment {environment}`"
            ) from None
    return deployed


def undeploy_from(
    c: Context,
    *,
    pacticipant: str,
    environment: str,
    config: DeployConfig | None = None,
    retries: str = "",
) -> None:
    """Stop a pacticipant in an environment, then record the undeployment in the broker."""
    cfg = config or _load("")
    spec = _spec(cfg, pacticipant)
    _environment(environment, "--environment")
    url = broker_url("undeploy")
    site = Site(cfg, environment)
    with _usable("undeploy"), site.folder.locked():
        state = site.folder.read_state()
        entry = state.pop(pacticipant, None)
        done = remove(site, spec)
        site.folder.write_state(state)
        print(f"undeploy: {pacticipant} in {environment}: {'; '.join(done) or 'nothing ran'}")
        for library in cfg.libraries_calling(pacticipant):
            if entry is not None and library.name in state:
                print(f"undeploy: {library.name} there still names {entry.url}")
        args = ["--pacticipant", pacticipant, "--environment", environment]
        outcome = pact_broker(c, "record-undeployment", *args, *retries_args(retries))
    if outcome.exited:
        doing = f"undeploy: {pacticipant} stopped in {environment}, but record-undeployment"
        raise Exit(
            one_line_failure("record-undeployment", outcome.output, base_url=url, doing=doing)
        )
    print(outcome.output)


def stop_all(environment: str, *, config: DeployConfig | None = None) -> list[str]:
    """Stop everything deployed in ``environment`` and clear its state; the broker is not told.

    Returns one line per process stopped or file removed.
    """
    cfg = config or _load("")
    site = Site(cfg, environment)
    with _usable("stop"), site.folder.locked():
        done = [line for spec in cfg.pacticipants.values() for line in remove(site, spec)]
        site.folder.write_state({})
    return done


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
    _spec(cfg, pacticipant)
    _environment(to_environment, "--to-environment")
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
    cfg = _load(config)
    for environment in ENVIRONMENTS:
        folder = Site(cfg, environment).folder
        with _usable("deploy-status"):
            state = folder.read_state()
        if not state:
            print(f"{environment}: nothing deployed")
        for name, entry in state.items():
            spec = cfg.pacticipants.get(name)
            if isinstance(spec, Service) and entry.port is not None:
                pid = running_pid(folder.pid_file(name, entry.port), marker=name)
                problem = probe(entry.url + spec.health_path, version=entry.version, timeout=1.0)
                health = "not running" if pid is None else problem or "healthy"
                detail = f"{entry.url}, pid {pid}: {health}"
            else:
                detail = f"{shown(folder.root / (entry.config or ''))} names {entry.url}"
            print(f"{environment}: {name} {entry.version} since {entry.since}, {detail}")


@contextmanager
def _usable(doing: str) -> Iterator[None]:
    """An environment folder that is busy or unreadable ends the task with one line."""
    try:
        yield
    except FolderError as exc:
        raise Exit(f"{doing}: {exc}") from None


def _load(config: str) -> DeployConfig:
    path = Path(config) if config else DEFAULT_CONFIG
    try:
        return load_config(path if path.is_absolute() else REPO / path)
    except ConfigError as exc:
        raise Exit(f"deploy: {exc}") from None


def _spec(cfg: DeployConfig, pacticipant: str) -> Service | Library:
    if pacticipant not in cfg.pacticipants:
        given = f"unknown pacticipant {pacticipant!r}" if pacticipant else "no --pacticipant given"
        raise Exit(f"{given}: choose one of {', '.join(PACTICIPANTS)}")
    return cfg.pacticipants[pacticipant]


def _environment(name: str, option: str) -> None:
    if name not in ENVIRONMENTS:
        given = f"unknown environment {name!r}" if name else f"no {option} given"
        raise Exit(f"{given}: choose one of {', '.join(ENVIRONMENTS)}")


def _line(exc: Exit) -> str:
    message = str(exc.message or "").strip()
    return message.splitlines()[0] if message else f"exit status {exc.code}"
