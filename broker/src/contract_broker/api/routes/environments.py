"""Environments, and the versions deployed or released to them."""

from __future__ import annotations

from fastapi import APIRouter, Response

from contract_broker.api.deps import JsonBody, Name, SessionDep, UrlsDep
from contract_broker.api.representations.environment import (
    currently_deployed_json,
    currently_supported_json,
    deployed_version_json,
    environment_json,
    environments_json,
    released_version_json,
    version_deployments_json,
)
from contract_broker.errors import Invalid
from contract_broker.hal import HalResponse
from contract_broker.services import deployments
from contract_broker.services import environments as service

__all__ = ["router"]

router = APIRouter(tags=["environments"])


@router.get("/environments", response_class=HalResponse)
def list_environments(session: SessionDep, urls: UrlsDep, name: Name | None = None) -> HalResponse:
    return HalResponse(environments_json(service.list_environments(session, name), urls))


@router.post("/environments", response_class=HalResponse, status_code=201)
def create_environment(body: JsonBody, session: SessionDep, urls: UrlsDep) -> HalResponse:
    environment = service.create_environment(session, body)
    return HalResponse.created(environment_json(environment, urls))


@router.get("/environments/{uuid}", response_class=HalResponse)
def get_environment(uuid: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    return HalResponse(environment_json(service.get_environment(session, uuid), urls))


@router.put("/environments/{uuid}", response_class=HalResponse)
def replace_environment(
    uuid: Name, body: JsonBody, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    return HalResponse(environment_json(service.replace_environment(session, uuid, body), urls))


@router.delete("/environments/{uuid}", status_code=204)
def delete_environment(uuid: Name, session: SessionDep) -> Response:
    service.delete_environment(session, uuid)
    return Response(status_code=204)


@router.get("/environments/{uuid}/deployed-versions/currently-deployed", response_class=HalResponse)
def currently_deployed(
    uuid: Name,
    session: SessionDep,
    urls: UrlsDep,
    pacticipant: Name | None = None,
    applicationInstance: Name | None = None,  # noqa: N803 - the Pact Broker's query name
) -> HalResponse:
    environment, rows = deployments.currently_deployed(
        session, uuid, pacticipant_name=pacticipant, application_instance=applicationInstance
    )
    return HalResponse(currently_deployed_json(environment, rows, urls))


@router.get(
    "/environments/{uuid}/released-versions/currently-supported", response_class=HalResponse
)
def currently_supported(
    uuid: Name, session: SessionDep, urls: UrlsDep, pacticipant: Name | None = None
) -> HalResponse:
    environment, rows = deployments.currently_supported(session, uuid, pacticipant_name=pacticipant)
    return HalResponse(currently_supported_json(environment, rows, urls))


@router.post(
    "/pacticipants/{pacticipant}/versions/{version}/deployed-versions/environment/{uuid}",
    response_class=HalResponse,
    status_code=201,
)
def record_deployment(
    pacticipant: Name,
    version: Name,
    uuid: Name,
    body: JsonBody,
    session: SessionDep,
    urls: UrlsDep,
) -> HalResponse:
    """record-deployment: 201 with the deployed version (the existing one when repeated)."""
    instance = body.get("applicationInstance", body.get("target"))
    if instance is not None and not isinstance(instance, str):
        raise Invalid.field("applicationInstance", "must be a string")
    deployed = deployments.deploy(
        session, pacticipant, version, uuid, application_instance=instance or None
    )
    return HalResponse.created(deployed_version_json(deployed, urls))


@router.get(
    "/pacticipants/{pacticipant}/versions/{version}/deployed-versions/environment/{uuid}",
    response_class=HalResponse,
)
def deployments_of_version(
    pacticipant: Name, version: Name, uuid: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    rows = deployments.deployments_of_version(session, pacticipant, version, uuid)
    self_url = urls.version(pacticipant, version) + f"/deployed-versions/environment/{uuid}"
    return HalResponse(version_deployments_json(rows, urls, self_url=self_url))


@router.post(
    "/pacticipants/{pacticipant}/versions/{version}/released-versions/environment/{uuid}",
    response_class=HalResponse,
    status_code=201,
)
def record_release(
    pacticipant: Name,
    version: Name,
    uuid: Name,
    body: JsonBody,
    session: SessionDep,
    urls: UrlsDep,
) -> HalResponse:
    del body
    released = deployments.release(session, pacticipant, version, uuid)
    return HalResponse.created(released_version_json(released, urls))


@router.get("/deployed-versions/{uuid}", response_class=HalResponse)
def get_deployed_version(uuid: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    return HalResponse(deployed_version_json(deployments.get_deployed_version(session, uuid), urls))


@router.patch("/deployed-versions/{uuid}", response_class=HalResponse)
def patch_deployed_version(
    uuid: Name, body: JsonBody, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    """``{"currentlyDeployed": false}`` records the undeployment (record-undeployment)."""
    return HalResponse(
        deployed_version_json(deployments.update_deployed_version(session, uuid, body), urls)
    )


@router.get("/released-versions/{uuid}", response_class=HalResponse)
def get_released_version(uuid: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    return HalResponse(released_version_json(deployments.get_released_version(session, uuid), urls))


@router.patch("/released-versions/{uuid}", response_class=HalResponse)
def patch_released_version(
    uuid: Name, body: JsonBody, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    """``{"currentlySupported": false}`` ends support (record-support-ended)."""
    return HalResponse(
        released_version_json(deployments.update_released_version(session, uuid, body), urls)
    )
