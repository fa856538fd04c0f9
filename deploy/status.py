"""What runs where on this machine: per environment, each pacticipant's version and health."""

from __future__ import annotations

from collections.abc import Iterator

from contract_terms import ENVIRONMENTS
from deploy.config import DeployConfig, Service
from deploy.gate import usable
from deploy.health import probe
from deploy.rollout import Site, shown
from deploy.runtime import running_pid

__all__ = ["status_lines"]


def status_lines(cfg: DeployConfig) -> Iterator[str]:
    """One line per deployed pacticipant (version, since, URL, pid, health) or empty environment.

    Lines come as they are known; a service that does not answer within a second is reported,
    not waited for.
    """
    for environment in ENVIRONMENTS:
        folder = Site(cfg, environment).folder
        with usable("deploy-status"):
            state = folder.read_state()
        if not state:
            yield f"{environment}: nothing deployed"
        for name, entry in state.items():
            spec = cfg.pacticipants.get(name)
            if isinstance(spec, Service) and entry.port is not None:
                pid = running_pid(folder.pid_file(name, entry.port), marker=name)
                problem = probe(entry.url + spec.health_path, version=entry.version, timeout=1.0)
                health = "not running" if pid is None else problem or "healthy"
                detail = f"{entry.url}, pid {pid}: {health}"
            else:
                detail = f"{shown(folder.root / (entry.config or ''))} names {entry.url}"
            yield f"{environment}: {name} {entry.version} since {entry.since}, {detail}"
