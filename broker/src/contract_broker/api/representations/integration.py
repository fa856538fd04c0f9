"""HAL shapes of the integrations list and the metrics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contract_broker.hal import Urls, iso, link
from contract_broker.services.integrations import Integration

__all__ = ["integrations_json", "metrics_json"]


def integrations_json(integrations: Sequence[Integration], urls: Urls) -> dict[str, Any]:
    """Every consumer/provider pair with a pact, its latest pact and verification status."""
    items = []
    for item in integrations:
        consumer, provider = item.consumer, item.provider
        items.append(
            {
                "consumer": {
                    "name": consumer,
                    "_links": {"self": link(urls.pacticipant(consumer))},
                },
                "provider": {
                    "name": provider,
                    "_links": {"self": link(urls.pacticipant(provider))},
                },
                "verificationStatus": item.status,
                "latestPactPublishedAt": iso(item.latest.published_at),
                "_links": {
                    "pb:latest-pact": link(
                        urls.latest_pact(provider, consumer), title="Latest pact"
                    ),
                    "pb:badge": link(
                        urls.latest_pact(provider, consumer) + "/badge", title="Pact status badge"
                    ),
                },
            }
        )
    return {
        "_embedded": {"integrations": items},
        "_links": {"self": link(urls("integrations"), title="Integrations")},
    }


def metrics_json(counts: dict[str, Any], urls: Urls) -> dict[str, Any]:
    """Row counts of what the broker stores."""
    return {**counts, "_links": {"self": link(urls("metrics"), title="Metrics")}}
