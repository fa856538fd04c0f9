"""Pacticipant labels: label, read and unlabel one pacticipant; find pacticipants by label.

Mounted before the pacticipants router: as in the Pact Broker, ``/pacticipants/label/{label}``
wins over ``/pacticipants/{pacticipant}/…`` routes of a pacticipant called "label".
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from contract_broker.api.deps import JsonBody, Name, SessionDep, UrlsDep
from contract_broker.api.representations import (
    label_json,
    label_names_json,
    pacticipant_collection_json,
    pacticipant_view_json,
)
from contract_broker.hal import HalResponse
from contract_broker.services import labels as service
from contract_broker.services import pacticipant_views

router = APIRouter(tags=["labels"])


@router.get("/pacticipants/label/{label}", response_class=HalResponse)
def pacticipants_with_label(label: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    """The pacticipants with this label (an empty list when none has it)."""
    items = [pacticipant_view_json(v, urls) for v in pacticipant_views.with_label(session, label)]
    self_url = urls("pacticipants", "label", label)
    return HalResponse(
        pacticipant_collection_json(items, urls, self_url=self_url, deprecated_list=False)
    )


@router.get("/pacticipants/{pacticipant}/labels/{label}", response_class=HalResponse)
def get_label(pacticipant: Name, label: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    found = service.get_label(session, pacticipant, label)
    return HalResponse(label_json(found.label, found.pacticipant.name, urls))


@router.put("/pacticipants/{pacticipant}/labels/{label}", response_class=HalResponse)
def put_label(
    pacticipant: Name, label: Name, body: JsonBody, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    """Label the pacticipant (created as needed): 201 when new, 200 when it had the label."""
    del body  # nothing in it is read; a JSON body (or none) is accepted as the Pact Broker does
    result = service.add_label(session, pacticipant, label)
    body_json = label_json(result.label, result.pacticipant.name, urls)
    return HalResponse.saved(body_json, created=result.created)


@router.delete("/pacticipants/{pacticipant}/labels/{label}", status_code=204)
def delete_label(pacticipant: Name, label: Name, session: SessionDep) -> Response:
    service.delete_label(session, pacticipant, label)
    return Response(status_code=204)


@router.get("/labels", response_class=HalResponse)
def label_names(session: SessionDep, urls: UrlsDep) -> HalResponse:
    """Every label in use, once each."""
    return HalResponse(label_names_json(service.label_names(session), urls))
