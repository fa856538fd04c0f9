"""``/integrations`` (who talks to whom) and ``/metrics`` (how much the broker holds)."""

from __future__ import annotations

from fastapi import APIRouter

from contract_broker.api.deps import SessionDep, UrlsDep
from contract_broker.hal import HalResponse, iso, link
from contract_broker.services import integrations as service

router = APIRouter(tags=["integrations"])


@router.get("/integrations", response_class=HalResponse)
def list_integrations(session: SessionDep, urls: UrlsDep) -> HalResponse:
    """Every consumer/provider pair with a pact, its latest pact and verification status."""
    items = []
    for item in service.integrations(session):
        consumer, provider = item.pact.consumer.name, item.pact.provider.name
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
                "latestPactPublishedAt": iso(item.pact.publication.created_at),
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
    return HalResponse(
        {
            "_embedded": {"integrations": items},
            "_links": {"self": link(urls("integrations"), title="Integrations")},
        }
    )


@router.get("/metrics", response_class=HalResponse)
def metrics(session: SessionDep, urls: UrlsDep) -> HalResponse:
    """Row counts of what the broker stores."""
    return HalResponse(
        {**service.counts(session), "_links": {"self": link(urls("metrics"), title="Metrics")}}
    )
