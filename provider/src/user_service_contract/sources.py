"""Where the pacts to verify come from: a local folder, one pact URL, or a broker with selectors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

__all__ = ["BrokerSource", "LocalPacts", "PactSource", "PactUrl", "SourceError"]


class SourceError(Exception):
    """The pact source cannot be verified as given (missing folder, no pacts, unknown state...)."""


@dataclass(frozen=True)
class LocalPacts:
    """Every pact in ``directory`` whose provider is the one being verified."""

    directory: Path

    def pact_files(self, provider: str) -> list[Path]:
        """The pact files for ``provider``; a clear error when there are none."""
        if not self.directory.is_dir():
            raise SourceError(f"pact folder {self.directory} does not exist")
        found = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                content = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise SourceError(f"{path} is not a readable pact: {exc}") from exc
            if not isinstance(content, dict):
                raise SourceError(f"{path} is not a pact (not a JSON object)")
            if (content.get("provider") or {}).get("name") == provider:
                found.append(path)
        if not found:
            raise SourceError(
                f"no pact for provider {provider!r} in {self.directory}: "
                "run `uv run invoke contract-consumer` first"
            )
        return found

    def provider_states(self, provider: str) -> set[str]:
        """Every provider-state name the pacts for ``provider`` use."""
        states: set[str] = set()
        for path in self.pact_files(provider):
            content = json.loads(path.read_text(encoding="utf-8"))
            for interaction in content.get("interactions") or []:
                states.update(_state_names(interaction))
        return states


@dataclass(frozen=True)
class PactUrl:
    """Exactly one pact, by URL (what a webhook delivers)."""

    url: str


@dataclass(frozen=True)
class BrokerSource:
    """Pacts the broker selects for this provider version (pacts-for-verification)."""

    broker_url: str
    selectors: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    provider_branch: str | None = None
    include_pending: bool = True
    wip_since: date | None = None


PactSource = LocalPacts | PactUrl | BrokerSource


def _state_names(interaction: dict[str, Any]) -> set[str]:
    names = {str(state.get("name", "")) for state in interaction.get("providerStates") or []}
    if interaction.get("providerState"):  # pact spec v2
        names.add(str(interaction["providerState"]))
    return names
