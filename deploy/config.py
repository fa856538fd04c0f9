"""``deploy/environments.toml``: how each pacticipant runs in each environment on this machine."""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract_terms import ENVIRONMENTS, PACTICIPANTS
from tasks.tiers import REPO, TIERS, Tier

__all__ = [
    "DEFAULT_CONFIG",
    "ConfigError",
    "DeployConfig",
    "Library",
    "Service",
    "Slots",
    "load_config",
]

DEFAULT_CONFIG = Path(__file__).resolve().with_name("environments.toml")


class ConfigError(Exception):
    """The deployment description is missing or wrong; the message names the file and the key."""


@dataclass(frozen=True)
class Service:
    """A pacticipant that runs as a background process and answers a health check over HTTP."""

    name: str
    tier: Tier
    command: tuple[str, ...]
    version_variable: str
    health_path: str
    health_timeout: float

    def argv(self, host: str, port: int) -> list[str]:
        """The command with ``{host}`` and ``{port}`` filled in."""
        return [part.format(host=host, port=port) for part in self.command]


@dataclass(frozen=True)
class Library:
    """A pacticipant that is a library: deployed as a pinned version plus its configuration."""

    name: str
    calls: str
    config_file: str

    def variables(self, *, version: str, url: str) -> dict[str, str]:
        """The configuration it gets: ``<NAME>_VERSION`` and ``<CALLED SERVICE>_URL``."""
        return {f"{_env_name(self.name)}_VERSION": version, f"{_env_name(self.calls)}_URL": url}


@dataclass(frozen=True)
class Slots:
    """Where a service listens in one environment: two ports, used in turn (blue/green)."""

    host: str
    ports: tuple[int, int]

    def url(self, port: int) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port}"


@dataclass(frozen=True)
class DeployConfig:
    """The whole description: pacticipants, and each service's slots per environment."""

    path: Path
    state_dir: Path
    pacticipants: Mapping[str, Service | Library]
    slots: Mapping[tuple[str, str], Slots]

    def environment_dir(self, environment: str) -> Path:
        """``<state_dir>/<environment>``: that environment's state, pid files, logs, config."""
        return self.state_dir / environment

    def slots_for(self, environment: str, service: str) -> Slots:
        return self.slots[environment, service]

    def service(self, name: str) -> Service:
        spec = self.pacticipants[name]
        if not isinstance(spec, Service):
            raise ConfigError(f"{self.path}: {name} is not a service")
        return spec

    def libraries_calling(self, service: str) -> list[Library]:
        specs = self.pacticipants.values()
        return [s for s in specs if isinstance(s, Library) and s.calls == service]


def load_config(path: Path = DEFAULT_CONFIG) -> DeployConfig:
    """Read and check the description; ``ConfigError`` says what is wrong and where."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no deployment description at {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    where = _Where(path)
    state_dir = Path(where.string(data, "state_dir"))
    described = where.table(data, "pacticipants")
    pacticipants = {name: _pacticipant(where, described, name) for name in PACTICIPANTS}
    where.only(described, PACTICIPANTS, "pacticipants")
    environments = where.table(data, "environments")
    where.only(environments, ENVIRONMENTS, "environments")
    slots: dict[tuple[str, str], Slots] = {}
    for environment in ENVIRONMENTS:
        placed = where.table(environments, environment, f"environments.{environment}")
        services = [n for n, s in pacticipants.items() if isinstance(s, Service)]
        where.only(placed, services, f"environments.{environment}")
        for name in services:
            key = f"environments.{environment}.{name}"
            slots[environment, name] = _slots(where, where.table(placed, name, key), key)
    ports = [port for s in slots.values() for port in s.ports]
    if len(set(ports)) != len(ports):
        raise ConfigError(f"{path}: every environment needs ports of its own, got {ports}")
    return DeployConfig(
        path=path,
        state_dir=state_dir if state_dir.is_absolute() else REPO / state_dir,
        pacticipants=pacticipants,
        slots=slots,
    )


def _pacticipant(where: _Where, described: dict[str, Any], name: str) -> Service | Library:
    key = f"pacticipants.{name}"
    spec = where.table(described, name, key)
    runs = where.string(spec, "runs", key)
    if runs == "service":
        tiers = {tier.name: tier for tier in TIERS}
        tier = where.string(spec, "tier", key)
        if tier not in tiers:
            raise ConfigError(f"{where.path}: {key}.tier must be one of {', '.join(tiers)}")
        command = spec.get("command")
        if (
            not isinstance(command, list)
            or not command
            or not all(isinstance(part, str) for part in command)
        ):
            raise ConfigError(f"{where.path}: {key}.command must be a list of strings")
        service = Service(
            name=name,
            tier=tiers[tier],
            command=tuple(command),
            version_variable=where.string(spec, "version_variable", key),
            health_path=where.string(spec, "health_path", key),
            health_timeout=where.seconds(spec, "health_timeout", key),
        )
        try:
            service.argv("127.0.0.1", 1)
        except (KeyError, IndexError, ValueError):
            raise ConfigError(
                f"{where.path}: {key}.command may only use the placeholders {{host}} and {{port}}"
            ) from None
        if not service.health_path.startswith("/"):
            raise ConfigError(f"{where.path}: {key}.health_path must start with /")
        return service
    if runs == "library":
        calls = where.string(spec, "calls", key)
        if calls not in PACTICIPANTS or calls == name:
            raise ConfigError(f"{where.path}: {key}.calls must name another pacticipant")
        config_file = where.string(spec, "config_file", key)
        if Path(config_file).name != config_file:
            raise ConfigError(f"{where.path}: {key}.config_file must be a plain file name")
        return Library(name=name, calls=calls, config_file=config_file)
    raise ConfigError(f'{where.path}: {key}.runs must be "service" or "library", got {runs!r}')


def _slots(where: _Where, spec: dict[str, Any], key: str) -> Slots:
    host = where.string(spec, "host", key)
    if not _loopback(host):
        raise ConfigError(
            f"{where.path}: {key}.host must be a loopback address: "
            f"these deployments run on this machine only, got {host!r}"
        )
    ports = spec.get("ports")
    valid = isinstance(ports, list) and len(ports) == 2 and len(set(ports)) == 2
    if not valid or not all(isinstance(p, int) and 0 < p < 65536 for p in ports or []):
        raise ConfigError(f"{where.path}: {key}.ports must be two different port numbers")
    assert isinstance(ports, list)
    return Slots(host=host, ports=(ports[0], ports[1]))


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _env_name(pacticipant: str) -> str:
    return pacticipant.upper().replace("-", "_")


@dataclass(frozen=True)
class _Where:
    """Typed reads from the parsed TOML, each failure naming the file and the key."""

    path: Path

    def table(self, data: dict[str, Any], name: str, key: str = "") -> dict[str, Any]:
        value = data.get(name)
        if not isinstance(value, dict):
            raise ConfigError(f"{self.path}: [{key or name}] is missing")
        return value

    def string(self, data: dict[str, Any], name: str, key: str = "") -> str:
        value = data.get(name)
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{self.path}: {_dotted(key, name)} must be a non-empty string")
        return value

    def seconds(self, data: dict[str, Any], name: str, key: str) -> float:
        value = data.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"{self.path}: {_dotted(key, name)} must be a number of seconds")
        return float(value)

    def only(self, data: dict[str, Any], known: tuple[str, ...] | list[str], key: str) -> None:
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(
                f"{self.path}: [{key}] has unknown entries {', '.join(unknown)}: "
                f"expected {', '.join(known)}"
            )


def _dotted(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name
