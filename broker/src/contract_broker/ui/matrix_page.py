"""The integration matrix page: its query string, and what each row of consumer version by
provider version shows (branches, tags, environments, the verification and what failed)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode

from contract_broker.errors import Invalid
from contract_broker.hal import Urls
from contract_broker.repositories.matrix import MatrixRow, VersionDetails
from contract_broker.services.integration_pages import PAGE_SIZE, MatrixFilters, MatrixPage
from contract_broker.ui.pagination import Pagination, page_number

__all__ = ["FILTERS", "matrix_page_context", "matrix_url", "parse_matrix_query"]

#: The query parameters that filter the rows, each a branch or environment name of one side.
FILTERS = ("consumer_branch", "consumer_environment", "provider_branch", "provider_environment")
PARAMETERS = (*FILTERS, "page")
_MAX_LENGTH = 255
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def parse_matrix_query(items: list[tuple[str, str]]) -> tuple[MatrixFilters, int]:
    """The filters and the page number; ``Invalid`` naming each bad parameter.

    An empty value is no filter (and page 1), as a link may leave one blank; a page past the
    last shows the last, as on the other pages.
    """
    errors: dict[str, list[str]] = {}
    given: dict[str, str] = {}
    for key, value in items:
        shown = key if len(key) <= 40 else key[:39] + "…"
        if key not in PARAMETERS:
            errors[shown] = [f"unknown query parameter; this page takes {', '.join(PARAMETERS)}"]
        elif key in given:
            errors[key] = ["given more than once; give it once"]
        elif _CONTROL.search(value):
            errors[key] = ["must not contain control characters"]
        elif len(value) > _MAX_LENGTH:
            errors[key] = [f"is longer than {_MAX_LENGTH} characters"]
        else:
            given[key] = value
    number = 1
    try:
        number = page_number(given.pop("page", None))
    except Invalid as problem:
        errors.update(problem.errors)
    if errors:
        raise Invalid(errors)
    return MatrixFilters(**{key: value for key, value in given.items() if value}), number


def matrix_url(urls: Urls, provider: str, consumer: str, **query: str | int | None) -> str:
    """The page's URL with these query parameters (None or empty ones left out)."""
    url = urls("matrix", "provider", provider, "consumer", consumer)
    kept = [(key, str(value)) for key, value in query.items() if value not in (None, "")]
    return url + ("?" + urlencode(kept, quote_via=quote) if kept else "")


def _version(
    urls: Urls, pacticipant: str, number: str, details: VersionDetails | None
) -> dict[str, Any]:
    details = details or VersionDetails()
    return {
        "number": number,
        "url": urls.version(pacticipant, number),
        "branches": [b.name for b in details.branches],
        "tags": [t.name for t in details.tags],
        "environments": details.environments,
    }


def _result(urls: Urls, row: MatrixRow, failures: dict[int, tuple[str, ...]]) -> dict[str, Any]:
    cross_contract = row.provider_contract_id is not None
    if row.success is None or row.verification_number is None:
        return {"kind": "pending", "text": "pending", "cross_contract": False, "url": None}
    provider, consumer = row.provider_name, row.consumer_name
    if cross_contract and row.provider_version_number is not None:
        url = urls.provider_contract(provider, row.provider_version_number)
    else:
        url = urls.verification(provider, consumer, row.pact_version_sha, row.verification_number)
    kind = "passed" if row.success else "failed"
    return {
        "kind": kind,
        "text": f"{kind} (cross-contract)" if cross_contract else kind,
        "cross_contract": cross_contract,
        "url": url,
        "at": row.verified_at,
        "failures": failures.get(row.verification_id or 0, ()),
    }


def matrix_page_context(view: MatrixPage, urls: Urls) -> dict[str, Any]:
    consumer, provider = view.consumer.name, view.provider.name
    filters = view.filters
    current = {key: getattr(filters, key) for key in FILTERS}

    def link(**changes: str | int | None) -> str:
        return matrix_url(urls, provider, consumer, **{**current, **changes})

    rows = []
    for row in view.rows:
        provider_version = None
        if row.provider_version_id is not None and row.provider_version_number is not None:
            provider_version = _version(
                urls,
                provider,
                row.provider_version_number,
                view.details.get(row.provider_version_id),
            )
        rows.append(
            {
                "consumer_version": _version(
                    urls,
                    consumer,
                    row.consumer_version_number,
                    view.details.get(row.consumer_version_id),
                ),
                "pact_url": urls.pact(provider, consumer, row.consumer_version_number),
                "published": row.pact_created_at,
                "provider_version": provider_version,
                "result": _result(urls, row, view.failures),
            }
        )
    sides = []
    for side, name, branches in (
        ("consumer", consumer, view.consumer_branches),
        ("provider", provider, view.provider_branches),
    ):
        branch_key, environment_key = f"{side}_branch", f"{side}_environment"
        sides.append(
            {
                "side": side,
                "name": name,
                "branch": current[branch_key],
                "environment": current[environment_key],
                "branches": [
                    {"name": b, "url": link(**{branch_key: b}), "chosen": b == current[branch_key]}
                    for b in branches
                ],
                "environments": [
                    {
                        "environment": e,
                        "url": link(**{environment_key: e.name}),
                        "chosen": e.name == current[environment_key],
                    }
                    for e in view.environments
                ],
                "any_branch_url": link(**{branch_key: None}),
                "any_environment_url": link(**{environment_key: None}),
            }
        )
    return {
        "consumer": consumer,
        "provider": provider,
        "consumer_url": urls.pacticipant(consumer),
        "provider_url": urls.pacticipant(provider),
        "latest_pact_url": urls.latest_pact(provider, consumer),
        "filtered": filters.any(),
        "provider_filtered": bool(filters.provider_branch or filters.provider_environment),
        "clear_url": matrix_url(urls, provider, consumer),
        "sides": sides,
        "rows": rows,
        "pager": Pagination(
            view.page,
            view.pages,
            PAGE_SIZE,
            view.total,
            tuple((key, value) for key, value in current.items() if value),
        ),
        "capped": view.capped,
    }
