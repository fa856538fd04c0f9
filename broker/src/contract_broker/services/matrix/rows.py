"""Which matrix rows are kept (latestby), which are ignored, and the order they are shown in."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from contract_broker.repositories.matrix import MatrixRow
from contract_broker.services.matrix.types import LATESTBY, Resolved

__all__ = ["apply_latestby", "sort_rows", "split_ignored"]


def apply_latestby(rows: Sequence[MatrixRow], latestby: str | None) -> list[MatrixRow]:
    """Keep the newest provider version's row per group (rows come newest action first).

    cvpv groups by consumer version and provider version, cvp by consumer version and
    provider, cp by consumer and provider. A group led by an unverified row keeps that row.
    """
    if latestby not in LATESTBY:
        return list(rows)
    groups: dict[tuple[Any, ...], list[MatrixRow]] = {}
    for row in rows:
        key: tuple[Any, ...] = (row.consumer_name, row.provider_name)
        if latestby in ("cvpv", "cvp"):
            key += (row.consumer_version_number,)
        if latestby == "cvpv":
            key += (row.provider_version_number,)
        groups.setdefault(key, []).append(row)
    kept = []
    for group in groups.values():
        verified = [r for r in group if r.provider_version_id is not None]
        if group[0].provider_version_id is None or not verified:
            kept.append(group[0])
        else:
            kept.append(max(verified, key=lambda r: r.provider_version_id or 0))
    return kept


def split_ignored(
    rows: Sequence[MatrixRow], ignore: Sequence[Resolved]
) -> tuple[list[MatrixRow], list[MatrixRow]]:
    """Considered rows, and rows involving something the client asked to ignore."""

    def ignored(row: MatrixRow) -> bool:
        return any(
            (
                s.pacticipant_id == row.consumer_id
                and (s.only_pacticipant or s.version_id == row.consumer_version_id)
            )
            or (
                s.pacticipant_id == row.provider_id
                and (s.only_pacticipant or s.version_id == row.provider_version_id)
            )
            for s in ignore
        )

    considered = [r for r in rows if not ignored(r)]
    return considered, [r for r in rows if ignored(r)]


def sort_rows(rows: Iterable[MatrixRow]) -> list[MatrixRow]:
    """Consumer name, newest consumer version, provider name, unverified first, newest provider."""
    return sorted(
        rows,
        key=lambda r: (
            r.consumer_name,
            -r.consumer_version_id,
            -r.pact_revision,
            r.provider_name,
            r.provider_version_id is not None,
            -(r.provider_version_id or 0),
            -(r.verification_id or 0),
        ),
    )
