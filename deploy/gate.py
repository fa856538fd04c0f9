"""The gate: a version reaches an environment only through can-i-deploy, and leaves recorded.

can-i-deploy (the broker's matrix, official CLI) → start the new version → health check →
switch over → record-deployment. Refused: nothing starts. Failed health check: the new process
is stopped, the previous version keeps running, nothing is recorded. Each failure raises
``invoke.exceptions.Exit`` with one line saying what happened and what to do.

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

from collections.abc import Iterator
from contextlib import contextmanager

from invoke.context import Context
from invoke.exceptions import Exit

from contract_terms import ENVIRONMENTS, PACTICIPANTS
from deploy.can_i_deploy import ask_can_i_deploy, refusal
from deploy.config import ConfigError, DeployConfig, Library, Service, load_config
from deploy.rollout import Site, configure, remove, roll_out
from deploy.runtime import Deployed, FolderError
from tasks.brokercli import (
    BrokerError,
    broker_url,
    checked,
    one_line_failure,
    pact_broker,
    retries_args,
)

__all__ = [
    "check_environment",
    "check_pacticipant",
    "deploy_through_gate",
    "stop_all",
    "undeploy_from",
    "usable",
]


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
    cfg = config or _default_config()
    spec = check_pacticipant(cfg, pacticipant)
    check_environment(environment, "--to-environment")
    who = f"{pacticipant} {version}"
    print(f"deploy: {who} to {environment}")
    not_deployed = f"deploy: {who} not deployed to {environment}"
    try:
        answer = ask_can_i_deploy(
            c,
            base_url=broker_url("can-i-deploy"),
            pacticipant=pacticipant,
            version=version,
            environment=environment,
            retries=retries,
        )
    except BrokerError as exc:
        raise Exit(f"{not_deployed}: {exc.message}; nothing was started or recorded") from None
    print(f"can-i-deploy: {who} to {environment}")
    print(answer.report())
    if not answer.allowed:
        refused = refusal(pacticipant, version, environment)
        raise Exit(f"{not_deployed}: {refused}; nothing was started or recorded")
    site = Site(cfg, environment)
    called = cfg.service(spec.calls) if isinstance(spec, Library) else spec
    timeout = health_timeout or called.health_timeout
    with usable("deploy"), site.folder.locked():
        if isinstance(spec, Service):
            deployed = roll_out(site, spec, version=version, timeout=timeout)
        else:
            deployed = configure(site, spec, version=version, timeout=timeout)
        try:
            recorded = checked(
                c,
                "record-deployment",
                *["--pacticipant", pacticipant, "--version", version],
                *["--environment", environment, *retries_args(retries)],
                base_url=broker_url("record-deployment"),
            )
        except BrokerError as exc:
            raise Exit(
                f"deploy: {who} runs in {environment} but is not recorded ({exc.message}): "
                f"run `uv run invoke record-deployment --pacticipant {pacticipant} "
                f"--version {version} --environment {environment}`"
            ) from None
        print(f"record-deployment: {who} in {environment}")
        print(recorded.output)
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
    cfg = config or _default_config()
    spec = check_pacticipant(cfg, pacticipant)
    check_environment(environment, "--environment")
    url = broker_url("undeploy")
    site = Site(cfg, environment)
    with usable("undeploy"), site.folder.locked():
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
    cfg = config or _default_config()
    site = Site(cfg, environment)
    with usable("stop"), site.folder.locked():
        done = [line for spec in cfg.pacticipants.values() for line in remove(site, spec)]
        site.folder.write_state({})
    return done


def check_pacticipant(cfg: DeployConfig, pacticipant: str) -> Service | Library:
    """How ``pacticipant`` runs, or a one-line ``Exit`` naming the pacticipants there are."""
    if pacticipant not in cfg.pacticipants:
        given = f"unknown pacticipant {pacticipant!r}" if pacticipant else "no --pacticipant given"
        raise Exit(f"{given}: choose one of {', '.join(PACTICIPANTS)}")
    return cfg.pacticipants[pacticipant]


def check_environment(name: str, option: str) -> None:
    """A one-line ``Exit`` unless ``name`` (given as ``option``) is a known environment."""
    if name not in ENVIRONMENTS:
        given = f"unknown environment {name!r}" if name else f"no {option} given"
        raise Exit(f"{given}: choose one of {', '.join(ENVIRONMENTS)}")


@contextmanager
def usable(doing: str) -> Iterator[None]:
    """An environment folder that is busy or unreadable ends the task with one line."""
    try:
        yield
    except FolderError as exc:
        raise Exit(f"{doing}: {exc}") from None


def _default_config() -> DeployConfig:
    try:
        return load_config()
    except ConfigError as exc:
        raise Exit(f"deploy: {exc}") from None
