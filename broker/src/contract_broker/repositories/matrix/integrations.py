"""Which integrations (consumer and provider pairs) the selected versions take part in."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import Select, literal, select, union_all
from sqlalchemy.orm import Session

from contract_broker.repositories._conditions import either, has_pact
from contract_broker.repositories._tables import PACTICIPANTS, PUBLICATIONS, ids, present, run
from contract_broker.repositories.matrix.types import IntegrationRef

__all__ = ["integrations_between", "integrations_of"]


@cache
def _integrations(versions: bool, consumers: bool, providers: bool) -> Any:
    parts = []
    if versions or consumers:
        # As consumer: the providers of these consumer versions (or of every version of these
        # consumers). A consumer needs its providers.
        pairs = (
            select(PUBLICATIONS.c.consumer_id, PUBLICATIONS.c.provider_id)
            .where(
                either(
                    PUBLICATIONS.c.consumer_version_id.in_(ids("versions")) if versions else None,
                    PUBLICATIONS.c.consumer_id.in_(ids("consumers")) if consumers else None,
                )
            )
            .distinct()
            .subquery("pairs")
        )
        consumer = PACTICIPANTS.alias("consumer")
        provider = PACTICIPANTS.alias("provider")
        parts.append(
            select(
                pairs.c.consumer_id,
                consumer.c.name,
                pairs.c.provider_id,
                provider.c.name,
                literal(True).label("required"),
            )
            .join(consumer, consumer.c.id == pairs.c.consumer_id)
            .join(provider, provider.c.id == pairs.c.provider_id)
        )
    if providers:
        # As provider: every consumer with pacts for these providers, which may or may not be
        # deployed.
        consumer = PACTICIPANTS.alias("any_consumer")
        provider = PACTICIPANTS.alias("this_provider")
        parts.append(
            select(
                consumer.c.id,
                consumer.c.name,
                provider.c.id,
                provider.c.name,
                literal(False).label("required"),
            )
            .select_from(consumer)
            .join(provider, provider.c.id.in_(ids("providers")))
            .where(has_pact(consumer, provider))
        )
    return parts[0] if len(parts) == 1 else union_all(*parts)


def integrations_of(
    session: Session,
    *,
    version_ids: Iterable[int],
    consumer_ids: Iterable[int],
    provider_ids: Iterable[int],
) -> tuple[list[IntegrationRef], list[IntegrationRef]]:
    """The integrations these versions take part in: (as consumer, as provider).

    As consumer: pairs with the providers of the consumer versions ``version_ids`` (or of every
    version of ``consumer_ids``). As provider: pairs with every consumer of ``provider_ids``.
    """
    versions, consumers = list(set(version_ids)), list(set(consumer_ids))
    providers = list(set(provider_ids))
    if not versions and not consumers and not providers:
        return [], []
    statement = _integrations(bool(versions), bool(consumers), bool(providers))
    rows = run(
        session, statement, **present(versions=versions, consumers=consumers, providers=providers)
    )
    as_consumer = [IntegrationRef(*row[:4]) for row in rows if row[4]]
    return as_consumer, [IntegrationRef(*row[:4]) for row in rows if not row[4]]


@cache
def _integrations_between(versions: bool, consumers: bool) -> Select[Any]:
    pairs = (
        select(PUBLICATIONS.c.consumer_id, PUBLICATIONS.c.provider_id)
        .where(
            either(
                PUBLICATIONS.c.consumer_version_id.in_(ids("versions")) if versions else None,
                PUBLICATIONS.c.consumer_id.in_(ids("consumers")) if consumers else None,
            ),
            PUBLICATIONS.c.provider_id.in_(ids("providers")),
        )
        .distinct()
        .subquery("pairs")
    )
    consumer = PACTICIPANTS.alias("consumer")
    provider = PACTICIPANTS.alias("provider")
    return (
        select(pairs.c.consumer_id, consumer.c.name, pairs.c.provider_id, provider.c.name)
        .join(consumer, consumer.c.id == pairs.c.consumer_id)
        .join(provider, provider.c.id == pairs.c.provider_id)
    )


def integrations_between(
    session: Session,
    *,
    version_ids: Iterable[int],
    consumer_ids: Iterable[int],
    provider_ids: Iterable[int],
) -> list[IntegrationRef]:
    """Pairs where these consumer versions (or consumers) have pacts with one of these providers."""
    versions, consumers = list(set(version_ids)), list(set(consumer_ids))
    providers = list(set(provider_ids))
    if not providers or (not versions and not consumers):
        return []
    statement = _integrations_between(bool(versions), bool(consumers))
    params = present(versions=versions, consumers=consumers)
    rows = run(session, statement, providers=providers, **params)
    return [IntegrationRef(*row) for row in rows]
