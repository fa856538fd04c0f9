"""HAL shapes of a pact and of the lists of pacts (the Pact Broker's pact decorators)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contract_broker.hal import Urls, iso, link
from contract_broker.services.pacts import PactDetail, PactView

__all__ = [
    "all_pact_versions_json",
    "latest_pacts_json",
    "pact_json",
    "pact_versions_json",
    "provider_pacts_json",
]


def pact_json(
    detail: PactDetail,
    urls: Urls,
    *,
    self_url: str | None = None,
    metadata: str | None = None,
) -> dict[str, Any]:
    """The stored pact merged with ``createdAt`` and the links the verifier follows."""
    view = detail.pact
    consumer, provider = view.consumer.name, view.provider.name
    number = view.consumer_version.number
    sha = view.pact_version.sha
    version_url = urls.pact(provider, consumer, number)
    sha_url = urls.pact_version(provider, consumer, sha)
    results_base = urls.pact_version(provider, consumer, sha, metadata)
    body = view.content
    body["createdAt"] = iso(view.publication.created_at)
    links: dict[str, Any] = {
        "self": link(
            self_url or version_url,
            title="Pact",
            name=f"Pact between {consumer} ({number}) and {provider}",
        ),
        "pb:consumer": link(urls.pacticipant(consumer), title="Consumer", name=consumer),
        "pb:consumer-version": link(
            urls.version(consumer, number), title="Consumer version", name=number
        ),
        "pb:consumer-versions": [
            link(urls.version(consumer, other), title="Consumer version", name=other)
            for other in detail.consumer_version_numbers
        ],
        "pb:provider": link(urls.pacticipant(provider), title="Provider", name=provider),
        "pb:pact-version": link(sha_url, title="Pact content version permalink", name=sha),
        "pb:latest-pact-version": link(
            urls.latest_pact(provider, consumer), title="Latest version of this pact"
        ),
        "pb:all-pact-versions": link(
            urls("pacts", "provider", provider, "consumer", consumer, "versions"),
            title="All versions of this pact",
        ),
        "pb:latest-untagged-pact-version": link(
            urls.latest_pact(provider, consumer) + "-untagged",
            title="Latest untagged version of this pact",
        ),
        "pb:latest-tagged-pact-version": link(
            urls.latest_pact(provider, consumer) + "/{tag}",
            title="Latest tagged version of this pact",
            templated=True,
        ),
        "pb:diff-previous-distinct": link(
            version_url + "/diff/previous-distinct",
            title="Diff with previous distinct version of this pact",
        ),
        "pb:diff": link(
            version_url + "/diff/version/{version}",
            title="Diff with another specified version of this pact",
            templated=True,
        ),
        "pb:publish-verification-results": link(
            results_base + "/verification-results", title="Publish verification results"
        ),
        "pb:latest-verification-results": link(
            sha_url + "/verification-results/latest", title="Latest verification results"
        ),
        "pb:matrix-for-consumer-version": link(
            urls("matrix") + f"?q[][pacticipant]={urls.quote(consumer)}"
            f"&q[][version]={urls.quote(number)}&latestby=cvpv",
            title="View matrix rows for the consumer version to which this pact belongs",
        ),
        "curies": [
            {"name": "pb", "href": urls.base + "/doc/{rel}?context=pact", "templated": True}
        ],
    }
    if detail.previous_number is not None:
        links["pb:previous-distinct"] = link(
            urls.pact(provider, consumer, detail.previous_number),
            title="Previous distinct version of this pact",
        )
    body["_links"] = links
    return body


def all_pact_versions_json(
    views: Sequence[PactView], urls: Urls, *, provider: str, consumer: str
) -> dict[str, Any]:
    """``GET .../versions``: every pact between the two."""
    return {
        "_links": {
            "self": link(
                urls("pacts", "provider", provider, "consumer", consumer, "versions"),
                title=f"All versions of the pact between {consumer} and {provider}",
            ),
            "pb:consumer": link(urls.pacticipant(consumer), name=consumer),
            "pb:provider": link(urls.pacticipant(provider), name=provider),
            "pb:pact-versions": [
                link(
                    urls.pact(provider, consumer, v.consumer_version.number),
                    title="Pact version",
                    name=v.consumer_version.number,
                )
                for v in views
            ],
        }
    }


def _latest_pact_summary(view: PactView, urls: Urls) -> dict[str, Any]:
    consumer, provider = view.consumer.name, view.provider.name
    number = view.consumer_version.number
    return {
        "createdAt": iso(view.publication.created_at),
        "_embedded": {
            "consumer": {
                "name": consumer,
                "repository_url": view.consumer.repository_url,
                "_embedded": {
                    "version": {
                        "number": number,
                        "_links": {"self": link(urls.version(consumer, number))},
                    }
                },
                "_links": {"self": link(urls.pacticipant(consumer))},
            },
            "provider": {
                "name": provider,
                "repository_url": view.provider.repository_url,
                "_links": {"self": link(urls.pacticipant(provider))},
            },
        },
        "_links": {
            "self": [
                link(urls.latest_pact(provider, consumer)),
                link(urls.pact(provider, consumer, number)),
            ]
        },
    }


def latest_pacts_json(views: Sequence[PactView], urls: Urls) -> dict[str, Any]:
    """``GET /pacts/latest``: the latest pact of every integration."""
    return {
        "pacts": [_latest_pact_summary(v, urls) for v in views],
        "_links": {
            "self": link(urls("pacts", "latest")),
            "pb:pacts": [
                link(
                    urls.pact(v.provider.name, v.consumer.name, v.consumer_version.number),
                    title=f"Pact between {v.consumer.name} and {v.provider.name}",
                )
                for v in views
            ],
        },
    }


def provider_pacts_json(
    views: Sequence[PactView], urls: Urls, *, provider: str, self_url: str, title: str
) -> dict[str, Any]:
    """A provider's pacts, one link each, with the deprecated ``provider`` and ``pacts``."""
    pacts = [
        link(
            urls.pact(provider, v.consumer.name, v.consumer_version.number),
            title=f"Pact between {v.consumer.name} ({v.consumer_version.number}) and {provider}",
            name=v.consumer.name,
        )
        for v in views
    ]
    return {
        "_links": {
            "self": link(self_url, title=title),
            "pb:provider": link(urls.pacticipant(provider), name=provider),
            "pb:pacts": pacts,
            "provider": link(
                urls.pacticipant(provider),
                title=provider,
                name="DEPRECATED - please use the pb:provider relation",
            ),
            "pacts": [
                {**p, "title": "DEPRECATED - please use the pb:pacts relation. " + p["title"]}
                for p in pacts
            ],
        }
    }


def pact_versions_json(
    views: Sequence[PactView], urls: Urls, *, provider: str, consumer: str, self_url: str
) -> dict[str, Any]:
    """The Pact Broker's list of a pair's pact versions (consumer-branch views)."""
    pacts = []
    for view in views:
        number = view.consumer_version.number
        pacts.append(
            {
                "createdAt": iso(view.publication.created_at),
                "_embedded": {
                    "consumerVersion": {
                        "number": number,
                        "_links": {
                            "self": link(
                                urls.version(consumer, number), title="Version", name=number
                            )
                        },
                    }
                },
                "_links": {
                    "self": link(
                        urls.pact(provider, consumer, number),
                        title=f"Pact between {consumer} ({number}) and {provider}",
                    )
                },
            }
        )
    return {
        "_embedded": {"pacts": pacts},
        "_links": {
            "self": link(
                self_url, title=f"All versions of the pact between {consumer} and {provider}"
            ),
            "consumer": link(urls.pacticipant(consumer), title="Consumer", name=consumer),
            "provider": link(urls.pacticipant(provider), title="Provider", name=provider),
            "pact-versions": [
                link(
                    urls.pact(provider, consumer, v.consumer_version.number),
                    title="Pact",
                    name=f"Version {v.consumer_version.number} - "
                    f"{v.publication.created_at.strftime('%d/%m/%Y')}",
                )
                for v in views
            ],
        },
    }
