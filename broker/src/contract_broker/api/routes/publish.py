"""``POST /contracts/publish``: what ``pact broker publish`` calls."""

from __future__ import annotations

from fastapi import APIRouter

from contract_broker.api.deps import JsonBody, SessionDep, SettingsDep, UrlsDep
from contract_broker.hal import HalResponse, link
from contract_broker.services import publish as service

__all__ = ["router"]

router = APIRouter(tags=["publish"])


@router.post("/contracts/publish", response_class=HalResponse)
def publish_contracts(
    body: JsonBody, session: SessionDep, settings: SettingsDep, urls: UrlsDep
) -> HalResponse:
    """Publish a version's contracts: 200 with notices; 409 (nothing stored) on changed content."""
    request = service.parse_publish_request(body)
    name, number = request.pacticipant_name, request.version_number
    result = service.publish_contracts(
        session,
        settings,
        request,
        pact_url=lambda provider: urls.pact(provider, name, number),
        base_url=urls.base,
    )
    notices = result.notices
    return HalResponse(
        {
            "notices": notices,
            "logs": [
                {
                    "level": n["type"],
                    "message": n["text"],
                    "deprecationWarning": "Replaced by notices",
                }
                for n in notices
            ],
            "_embedded": {
                "pacticipant": {"name": name, "_links": {"self": link(urls.pacticipant(name))}},
                "version": {
                    "number": number,
                    "_links": {
                        "self": link(urls.version(name, number), title="Version", name=number)
                    },
                },
            },
            "_links": {
                "pb:pacticipant": link(urls.pacticipant(name), title="Pacticipant", name=name),
                "pb:pacticipant-version": link(
                    urls.version(name, number), title="Pacticipant version", name=number
                ),
                "pb:pacticipant-version-tags": [
                    link(urls.tag(name, number, t.name), title="Tag", name=t.name)
                    for t in result.tags
                ],
                "pb:contracts": [
                    link(
                        urls.pact(p.provider.name, name, number),
                        title="Pact",
                        name=f"Pact between {name} ({number}) and {p.provider.name}",
                    )
                    for p in result.pacts
                ],
            },
        }
    )
