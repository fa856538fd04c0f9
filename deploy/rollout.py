"""The steps after the gate: start and switch a service, configure a library, remove either.

Each step raises ``Exit`` with one line saying what happened to what was running before.
"""

from __future__ import annotations

import dataclasses
import subprocess
from dataclasses import dataclass
from pathlib import Path

from invoke.exceptions import Exit

from deploy.config import DeployConfig, Library, Service
from deploy.health import HealthCheckFailed, port_free, wait_healthy
from deploy.runtime import Deployed, EnvironmentDir, start, stop, write_atomically
from tasks.tiers import REPO, Tier, tier_env

__all__ = ["Site", "app_env", "configure", "remove", "roll_out", "shown"]


@dataclass(frozen=True)
class Site:
    """One environment as a deployment description places it on this machine."""

    config: DeployConfig
    environment: str

    @property
    def folder(self) -> EnvironmentDir:
        return EnvironmentDir(self.config.environment_dir(self.environment))


def roll_out(site: Site, spec: Service, *, version: str, timeout: float) -> Deployed:
    """Start ``version`` on the free slot, check it, make it current, then stop the old one."""
    environment, folder = site.environment, site.folder
    slots = site.config.slots_for(environment, spec.name)
    state = folder.read_state()
    current = state.get(spec.name)
    port = _free_slot(site, spec, current)
    _prepare(spec.tier)
    url = slots.url(port)
    log_file = folder.log_file(spec.name, port)
    pid_file = folder.pid_file(spec.name, port)
    print(f"deploy: starting {spec.name} {version} at {url} (log: {shown(log_file)})")
    env = app_env(spec.tier, **{spec.version_variable: version})
    argv = [*spec.tier.uv_run(), *spec.argv(slots.host, port)]
    process = start(argv, cwd=spec.tier.directory, env=env, pid_file=pid_file, log_file=log_file)
    health = url + spec.health_path
    try:
        seconds = wait_healthy(health, version=version, timeout=timeout, process=process)
    except HealthCheckFailed as exc:
        stop(pid_file, marker=spec.name)
        keeps = f"{current.version} keeps running" if current else "nothing else runs there"
        raise Exit(
            f"deploy: {spec.name} {version} failed its health check in {environment} and was "
            f"stopped: {exc} (log: {shown(log_file)}); {keeps}; nothing was recorded"
        ) from None
    except BaseException:
        stop(pid_file, marker=spec.name)
        raise
    print(f"deploy: healthy: {health} answered version {version} in {seconds:.1f} s")
    state[spec.name] = deployed = Deployed.now(version=version, url=url, port=port)
    for library in site.config.libraries_calling(spec.name):
        if library.name in state:  # a library's configuration follows the service it calls
            _write_library_config(site, library, version=state[library.name].version, url=url)
            state[library.name] = dataclasses.replace(state[library.name], url=url)
            print(f"deploy: {library.name}'s configuration in {environment} now names {url}")
    folder.write_state(state)
    if current is not None and current.port is not None:
        old = stop(folder.pid_file(spec.name, current.port), marker=spec.name)
        gone = f"pid {old}" if old is not None else "it was no longer running"
        print(f"deploy: {environment} switched to {version}; stopped {current.version} ({gone})")
    return deployed


def configure(site: Site, spec: Library, *, version: str, timeout: float) -> Deployed:
    """A library: check the service it calls is healthy, then write its version and settings."""
    environment, folder = site.environment, site.folder
    state = folder.read_state()
    called = state.get(spec.calls)
    if called is None:
        raise Exit(
            f"deploy: {spec.name} calls {spec.calls}, which is not deployed in {environment}: "
            f"deploy it first (uv run invoke deploy --pacticipant {spec.calls} "
            f"--to-environment {environment}); nothing was written or recorded"
        )
    health = called.url + site.config.service(spec.calls).health_path
    try:
        wait_healthy(health, version=called.version, timeout=timeout)
    except HealthCheckFailed as exc:
        raise Exit(
            f"deploy: {spec.name} {version} not deployed to {environment}: {spec.calls} "
            f"{called.version} there is not healthy: {exc}; the configuration was left as it "
            "was and nothing was recorded"
        ) from None
    print(f"deploy: {spec.calls} {called.version} in {environment} is healthy at {called.url}")
    path = _write_library_config(site, spec, version=version, url=called.url)
    state[spec.name] = Deployed.now(version=version, url=called.url, config=spec.config_file)
    folder.write_state(state)
    print(f"deploy: wrote {shown(path)}")
    return state[spec.name]


def remove(site: Site, spec: Service | Library) -> list[str]:
    """Stop a service's processes (both slots) or delete a library's configuration file."""
    folder = site.folder
    if isinstance(spec, Library):
        path = folder.root / spec.config_file
        if not path.exists():
            return []
        path.unlink()
        return [f"removed {shown(path)}"]
    done = []
    for port in site.config.slots_for(site.environment, spec.name).ports:
        pid = stop(folder.pid_file(spec.name, port), marker=spec.name)
        if pid is not None:
            done.append(f"stopped {spec.name} (pid {pid}, port {port})")
    return done


def shown(path: Path) -> str:
    """``path`` relative to the repository when inside it."""
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def _write_library_config(site: Site, library: Library, *, version: str, url: str) -> Path:
    path = site.folder.root / library.config_file
    settings = library.variables(version=version, url=url)
    header = (
        f"# {library.name} in {site.environment}, written by `uv run invoke deploy`: the\n"
        f"# settings an application using the {library.name} library here loads.\n"
    )
    write_atomically(path, header + "".join(f"{k}={v}\n" for k, v in settings.items()))
    return path


def _free_slot(site: Site, spec: Service, current: Deployed | None) -> int:
    """The slot the running version does not use; a leftover of an interrupted deploy is stopped."""
    slots = site.config.slots_for(site.environment, spec.name)
    candidates = [port for port in slots.ports if current is None or port != current.port]
    for port in candidates:
        leftover = stop(site.folder.pid_file(spec.name, port), marker=spec.name)
        if leftover is not None:
            print(f"deploy: stopped a leftover {spec.name} process (pid {leftover}, port {port})")
        if port_free(slots.host, port):
            return port
    ports = " and ".join(str(port) for port in candidates)
    raise Exit(
        f"deploy: cannot start {spec.name} in {site.environment}: port {ports} on {slots.host} "
        f"is in use by another process: stop it or change the ports in {site.config.path}; "
        "nothing was started"
    )


def _prepare(tier: Tier) -> None:
    """Sync the tier's environment first, so the health timeout measures the app alone."""
    argv = [*tier.uv_run(), "python", "-c", ""]
    done = subprocess.run(
        argv, cwd=tier.directory, env=app_env(tier), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise Exit(f"deploy: cannot prepare the {tier.name} environment ({reason}); nothing ran")


def app_env(tier: Tier, **extra: str) -> dict[str, str]:
    """The whole environment of a deployed app (and of its environment's preparation, and of
    the embedded broker): the tier's strict environment (``tier_env``) without the broker's URL
    and credentials (``PACT_BROKER_*``), which the app has no business with; ``extra`` is set
    on purpose."""
    env = {k: v for k, v in tier_env(tier).items() if not k.startswith("PACT_BROKER_")}
    return {**env, **extra}
