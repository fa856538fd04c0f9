"""The pages: integrations, a pact, a version's can-i-deploy answers, a provider contract,
environments, webhooks."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from contract_broker import warm_up
from contract_broker.api.deps import Name, SessionDep, UrlsDep, read_apart
from contract_broker.errors import Invalid, NotFound
from contract_broker.hal import Urls, iso
from contract_broker.services import integration_pages, integrations, page_views
from contract_broker.services.provider_contracts import publishing
from contract_broker.services.webhook_delivery import safe_url
from contract_broker.ui import humanize, network
from contract_broker.ui.matrix_page import matrix_page_context, parse_matrix_query
from contract_broker.ui.negotiation import UI_PREFIX
from contract_broker.ui.pacticipant_page import pacticipant_page_context
from contract_broker.ui.pagination import PageQuery, page_number, paginate
from contract_broker.ui.problems import problem_context
from contract_broker.ui.provider_contract_page import provider_contract_context
from contract_broker.ui.version_page import version_page_context

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = ["CSP", "router"]

HERE = Path(__file__).parent
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


@cache
def templates() -> Environment:
    """The pages' Jinja environment, made for the first page shown rather than at start (Jinja
    is ~12 ms of every start; the app imports it in the background, see contract_broker.warm_up)."""
    warm_up.wait()
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    humanize.register(environment)
    return environment


router = APIRouter(prefix=UI_PREFIX, include_in_schema=False)


# A pact page shows this many interactions (each with its request and response) at a time.
INTERACTIONS_PER_PAGE = 20


def page(template: str, urls: Urls, **context: Any) -> HTMLResponse:
    html = templates().get_template(template).render(base=urls.base, **context)
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


@router.get("/static/style.css")
def stylesheet() -> Response:
    return Response(
        (HERE / "static" / "style.css").read_text(),
        media_type="text/css",
        headers={"Cache-Control": "max-age=300"},
    )


def _badge_url(urls: Urls, provider: str, consumer: str) -> str:
    return urls.latest_pact(provider, consumer) + "/badge"


def _index(session: Session, urls: Urls) -> tuple[list[dict[str, Any]], list[network.Link]]:
    """The index's rows and the network's links."""
    rows, links = [], []
    for item in integrations.integrations(session):
        latest = item.latest
        consumer, provider = item.consumer, item.provider
        number = latest.consumer_version
        verification = None
        if item.verified:
            verification = {
                "success": latest.success,
                "version": latest.provider_version,
                "at": iso(latest.verified_at),
            }
        rows.append(
            {
                "consumer": consumer,
                "provider": provider,
                "consumer_version": number,
                "pact_url": urls.pact(provider, consumer, number),
                "published": iso(latest.published_at),
                "verification": verification,
                "status": item.status,
                "badge_url": _badge_url(urls, provider, consumer),
                "matrix_url": urls("matrix", "provider", provider, "consumer", consumer),
                "consumer_url": urls.pacticipant(consumer),
                "provider_url": urls.pacticipant(provider),
            }
        )
        links.append(
            network.Link(
                consumer=consumer,
                provider=provider,
                status=network.status_of(latest.success if item.verified else None),
                url=urls.latest_pact(provider, consumer),
                consumer_url=urls.pacticipant(consumer),
                provider_url=urls.pacticipant(provider),
            )
        )
    return rows, links


@router.get("/")
async def index_page(request: Request, urls: UrlsDep, page_asked: PageQuery = None) -> HTMLResponse:
    """The integrations and their network's picture. dot draws it after the read transaction
    has ended, in a worker thread: a slow drawing holds neither a connection nor a turn."""
    # The first page a process shows may wait for Jinja's import (warm_up): not on the loop.
    await run_in_threadpool(templates)
    bad = _bad_page(urls, page_asked, urls.base + "/", "All integrations")
    if bad is not None:
        return bad
    rows, links = await read_apart(request, lambda session: _index(session, urls))
    shown, pager = paginate(rows, page_asked)
    picture = await network.drawn_picture(links, base=urls.base)
    return page(
        "index.html",
        urls,
        rows=shown,
        pager=pager,
        network=picture,
        max_applications=network.MAX_APPLICATIONS,
        max_links=network.MAX_LINKS,
    )


def _bad_page(
    urls: Urls, page_asked: str | None, back_url: str, back_text: str
) -> HTMLResponse | None:
    """The 400 page for a ?page= that is not a page number (None when it is one)."""
    try:
        page_number(page_asked)
    except Invalid as problem:
        return _problem(urls, problem, back_url, back_text)
    return None


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)


def _interaction(item: dict[str, Any]) -> dict[str, Any]:
    states = item.get("providerStates") or (
        [{"name": item["providerState"]}] if item.get("providerState") else []
    )
    request = dict(item.get("request") or {})
    response = dict(item.get("response") or {})
    if "contents" in item and not request:  # message pacts
        response = {"contents": item.get("contents"), "metadata": item.get("metadata")}
    summary = ""
    if request.get("method") or request.get("path"):
        query = request.get("query")
        summary = f"{request.get('method', '')} {request.get('path', '')}"
        if isinstance(query, str) and query:
            summary += f"?{query}"
        if response.get("status") is not None:
            summary += f" → {response['status']}"
    return {
        "summary": summary,
        "description": str(item.get("description", "")),
        "states": [
            {
                "name": str(s.get("name", "")),
                "params": _pretty(s["params"]) if s.get("params") else "",
            }
            for s in states
            if isinstance(s, dict)
        ],
        "request": _pretty(request),
        "response": _pretty(response),
    }


def _diff_lines(lines: list[str]) -> list[dict[str, str]]:
    kinds = []
    for line in lines:
        if line.startswith(("+++", "---", "@@")):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        kinds.append({"kind": kind, "text": line})
    return kinds


def _pact_page(
    urls: Urls, find: Callable[[], page_views.PactPage], page_asked: str | None
) -> HTMLResponse:
    """A pact's page; the 404 page when ``find`` finds no such pact."""
    try:
        shown = find()
    except NotFound as problem:
        return _problem(urls, problem, urls.base + "/", "All integrations")
    view, previous = shown.pact, shown.previous
    consumer, provider = view.consumer.name, view.provider.name
    number = view.consumer_version.number
    content = view.content
    items = content.get("interactions") or content.get("messages") or []
    interactions, pager = paginate(
        [i for i in items if isinstance(i, dict)], page_asked, size=INTERACTIONS_PER_PAGE
    )
    return page(
        "pact.html",
        urls,
        consumer=consumer,
        provider=provider,
        consumer_url=urls.pacticipant(consumer),
        provider_url=urls.pacticipant(provider),
        matrix_url=urls("matrix", "provider", provider, "consumer", consumer),
        consumer_version=number,
        version_url=urls.version(consumer, number),
        branches=shown.branches,
        tags=shown.tags,
        published=iso(view.publication.created_at),
        sha=view.pact_version.sha,
        badge_url=_badge_url(urls, provider, consumer),
        interactions=[_interaction(i) for i in interactions],
        pager=pager,
        verifications=[
            {"version": v.provider_version.number, "success": v.success, "at": iso(v.created_at)}
            for v in shown.verifications
        ],
        previous={
            "version": previous.consumer_version.number,
            "url": urls.pact(provider, consumer, previous.consumer_version.number),
        }
        if previous
        else None,
        diff=_diff_lines(shown.diff),
    )


@router.get("/pacts/provider/{provider}/consumer/{consumer}/version/{version}")
def pact_page(
    *,
    provider: Name,
    consumer: Name,
    version: Name,
    session: SessionDep,
    urls: UrlsDep,
    page_asked: PageQuery = None,
) -> HTMLResponse:
    back = urls.pact(provider, consumer, version)
    bad = _bad_page(urls, page_asked, back, "The first page of this pact")
    if bad is not None:
        return bad
    return _pact_page(
        urls, lambda: page_views.pact_page(session, provider, consumer, version), page_asked
    )


@router.get("/pacts/provider/{provider}/consumer/{consumer}/latest")
def latest_pact_page(
    provider: Name, consumer: Name, session: SessionDep, urls: UrlsDep, page_asked: PageQuery = None
) -> HTMLResponse:
    back = urls.latest_pact(provider, consumer)
    bad = _bad_page(urls, page_asked, back, "The first page of this pact")
    if bad is not None:
        return bad
    return _pact_page(urls, partial(page_views.pact_page, session, provider, consumer), page_asked)


@router.get("/pacticipants/{pacticipant}/versions/{version}")
def version_page(
    pacticipant: Name,
    version: Name,
    session: SessionDep,
    urls: UrlsDep,
    page_asked: PageQuery = None,
) -> HTMLResponse:
    back = urls.version(pacticipant, version)
    bad = _bad_page(urls, page_asked, back, "The first page of this version")
    if bad is not None:
        return bad
    try:
        shown = page_views.version_page(session, pacticipant, version)
    except NotFound as problem:
        return _problem(urls, problem, urls.base + "/", "All integrations")
    context = version_page_context(shown, page_asked)
    pacticipant_url = urls.pacticipant(shown.version.pacticipant.name)
    return page("version.html", urls, pacticipant_url=pacticipant_url, **context)


@router.get("/provider-contracts/provider/{provider}/version/{version}")
def provider_contract_page(
    provider: Name, version: Name, session: SessionDep, urls: UrlsDep
) -> HTMLResponse:
    try:
        view = publishing.find_provider_contract(session, provider, version)
    except NotFound as problem:
        return _problem(urls, problem, urls.base + "/", "All integrations")
    return page("provider_contract.html", urls, **provider_contract_context(view, urls))


@router.get("/environments")
def environments_page(session: SessionDep, urls: UrlsDep) -> HTMLResponse:
    shown = []
    for item in page_views.environments_page(session):
        environment, deployed, released = item.environment, item.deployed, item.released
        shown.append(
            {
                "name": environment.name,
                "display_name": environment.display_name or environment.name,
                "production": environment.production,
                "deployed": [
                    {
                        "pacticipant": d.version.pacticipant.name,
                        "version": d.version.number,
                        "instance": d.application_instance,
                        "since": iso(d.created_at),
                        "url": urls.version(d.version.pacticipant.name, d.version.number),
                    }
                    for d in deployed
                ],
                "released": [
                    {
                        "pacticipant": r.version.pacticipant.name,
                        "version": r.version.number,
                        "since": iso(r.created_at),
                        "url": urls.version(r.version.pacticipant.name, r.version.number),
                    }
                    for r in released
                ],
            }
        )
    return page("environments.html", urls, environments=shown)


@router.get("/webhooks")
def webhooks_page(session: SessionDep, urls: UrlsDep) -> HTMLResponse:
    shown = []
    for item in page_views.webhooks_page(session):
        webhook = item.webhook.webhook
        names = []
        for key, pacticipant, label in (
            ("consumer", item.webhook.consumer, webhook.consumer_label),
            ("provider", item.webhook.provider, webhook.provider_label),
        ):
            if pacticipant is not None:
                names.append(f"{key} {pacticipant.name}")
            elif label is not None:
                names.append(f"{key} label: {label}")
            else:
                names.append(f"any {key}")
        deliveries = [
            {
                "event": d.triggered.event_name,
                "status": d.triggered.status,
                "attempts": d.triggered.attempts,
                "at": iso(d.triggered.created_at),
                "logs": [e.logs for e in d.executions],
            }
            for d in item.deliveries
        ]
        shown.append(
            {
                "uuid": webhook.uuid,
                "description": webhook.description,
                "method": webhook.request.get("method"),
                "url": safe_url(str(webhook.request.get("url"))),
                "events": webhook.events,
                "scope": ", ".join(names),
                "enabled": webhook.enabled,
                "deliveries": deliveries,
            }
        )
    return page("webhooks.html", urls, webhooks=shown)


def _problem(
    urls: Urls, problem: NotFound | Invalid, back_url: str, back_text: str
) -> HTMLResponse:
    status, context = problem_context(problem)
    response = page("problem.html", urls, back_url=back_url, back_text=back_text, **context)
    response.status_code = status
    return response


@router.get("/matrix/provider/{provider}/consumer/{consumer}")
def integration_matrix_page(
    provider: Name, consumer: Name, request: Request, session: SessionDep, urls: UrlsDep
) -> HTMLResponse:
    """Consumer versions by provider versions of one integration (filters, pages)."""
    try:
        filters, number = parse_matrix_query(request.query_params.multi_items())
        view = integration_pages.matrix_page(session, provider, consumer, filters, number)
    except NotFound as problem:
        return _problem(urls, problem, urls.base + "/", "All integrations")
    except Invalid as problem:
        back = urls("matrix", "provider", provider, "consumer", consumer)
        return _problem(urls, problem, back, "The whole matrix of this integration")
    return page("matrix.html", urls, **matrix_page_context(view, urls))


@router.get("/pacticipants/{pacticipant}")
def pacticipant_page(pacticipant: Name, session: SessionDep, urls: UrlsDep) -> HTMLResponse:
    try:
        view = integration_pages.pacticipant_page(session, pacticipant)
    except NotFound as problem:
        return _problem(urls, problem, urls.base + "/", "All integrations")
    return page("pacticipant.html", urls, **pacticipant_page_context(view, urls))
