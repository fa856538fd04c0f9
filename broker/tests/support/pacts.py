"""Pact documents for broker tests: the test pact renamed or changed, files, publish bodies."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

__all__ = [
    "CONSUMER",
    "PROVIDER",
    "TEST_PACT",
    "changed",
    "publish_body",
    "renamed",
    "sample_pact",
    "write_pact",
]

TEST_PACT = Path(__file__).resolve().parents[1] / "data" / "billing-service-user-service.json"
CONSUMER = "billing-service"
PROVIDER = "user-service"


def sample_pact() -> dict[str, Any]:
    """A fresh copy of the test pact (billing-service → user-service, two interactions)."""
    loaded: dict[str, Any] = json.loads(TEST_PACT.read_text())
    return loaded


def renamed(
    pact: dict[str, Any], *, consumer: str | None = None, provider: str | None = None
) -> dict[str, Any]:
    """``pact`` between other pacticipants."""
    result = copy.deepcopy(pact)
    if consumer is not None:
        result["consumer"] = {"name": consumer}
    if provider is not None:
        result["provider"] = {"name": provider}
    return result


def changed(pact: dict[str, Any], marker: str = "changed") -> dict[str, Any]:
    """``pact`` with different content: the first interaction's description gets a suffix."""
    result = copy.deepcopy(pact)
    result["interactions"][0]["description"] += f" ({marker})"
    return result


def write_pact(directory: Path, pact: dict[str, Any]) -> Path:
    """``pact`` as ``<consumer>-<provider>.json`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{pact['consumer']['name']}-{pact['provider']['name']}.json"
    path.write_text(json.dumps(pact, indent=2))
    return path


def publish_body(
    pact: dict[str, Any],
    version: str,
    *,
    branch: str | None = None,
    tags: list[str] | None = None,
    **contract: Any,
) -> dict[str, Any]:
    """A ``POST /contracts/publish`` body as the CLI sends it; ``contract`` overrides fields."""
    consumer = pact["consumer"]["name"]
    body: dict[str, Any] = {
        "pacticipantName": consumer,
        "pacticipantVersionNumber": version,
        "contracts": [
            {
                "consumerName": consumer,
                "providerName": pact["provider"]["name"],
                "specification": "pact",
                "contentType": "application/json",
                "content": base64.b64encode(json.dumps(pact).encode()).decode(),
                "onConflict": "overwrite",
                **contract,
            }
        ],
    }
    if branch is not None:
        body["branch"] = branch
    if tags is not None:
        body["tags"] = tags
    return body
