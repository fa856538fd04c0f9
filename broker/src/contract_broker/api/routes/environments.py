"""Environments, and the versions deployed or released to them."""

from __future__ import annotations

from fastapi import APIRouter, Response

from contract_broker.api.deps import JsonBody, Name, SessionDep, UrlsDep
from contract_broker.api.representations import (
    deployed_version_json,
    environment_json,
    released_version_json,
)
from contract_broker.errors import Invalid
from contract_broker.hal import HalResponse, link
from contract_broker.repositories import environments as environment_repo
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.services import deployments, pacticipants
from contract_broker.services import environments as service

router = APIRouter(tags=["environments"])


@router.get("/environments", response_class=HalResponse)
def list_environments(session: SessionDep, urls: UrlsDep, name: Name | None = None) -> HalResponse:
    items = [environment_json(e, urls) for e in environment_repo.list_environments(session, name)]
    return HalResponse(
        {
            "_embedded": {"environments": items},
            "_links": {
                "self": link(urls("environments"), title="Environments"),
                "pb:environments": [
                    link(e["_links"]["self"]["href"], title=e["displayName"], name=e["name"])
                    for e in items
                ],
            },
        }
    )


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


def _pacticipant_ids(session: SessionDep, name: str | None) -> list[int] | None:
    if name is None:
        return None
    found = pacticipant_repo.find_pacticipant(session, name)
    return [found.id] if found else []


@router.get("/environments/{uuid}/deployed-versions/currently-deployed", response_class=HalResponse)
def currently_deployed(
    uuid: Name,
    session: SessionDep,
    urls: UrlsDep,
    pacticipant: Name | None = None,
    applicationInstance: Name | None = None,  # noqa: N803 - the Pact Broker's query name
) -> HalResponse:
    environment = service.get_environment(session, uuid)
    rows = environment_repo.currently_deployed(
        session,
        environment_id=environment.id,
        pacticipant_ids=_pacticipant_ids(session, pacticipant),
    )
    if applicationInstance is not None:
        rows = [r for r in rows if r.application_instance == applicationInstance]
    return HalResponse(
        {
            "_embedded": {"deployedVersions": [deployed_version_json(r, urls) for r in rows]},
            "_links": {
                "self": link(
                    urls.environment(uuid) + "/deployed-versions/currently-deployed",
                    title=f"Currently deployed versions for {environment.name}",
                )
            },
        }
    )


@router.get(
    "/environments/{uuid}/released-versions/currently-supported", response_class=HalResponse
)
def currently_supported(
    uuid: Name, session: SessionDep, urls: UrlsDep, pacticipant: Name | None = None
) -> HalResponse:
    environment = service.get_environment(session, uuid)
    rows = environment_repo.currently_released(
        session,
        environment_id=environment.id,
        pacticipant_ids=_pacticipant_ids(session, pacticipant),
    )
    return HalResponse(
        {
            "_embedded": {"releasedVersions": [released_version_json(r, urls) for r in rows]},
            "_links": {
                "self": link(
                    urls.environment(uuid) + "/released-versions/currently-supported",
                    title=f"Currently supported versions for {environment.name}",
                )
            },
        }
    )


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
    row = pacticipants.get_version(session, pacticipant, version)
    environment = service.get_environment(session, uuid)
    deployed, _ = deployments.record_deployment(
        session, row, environment, application_instance=instance or None
    )
    return HalResponse.created(deployed_version_json(deployed, urls))


@router.get(
    "/pacticipants/{pacticipant}/versions/{version}/deployed-versions/environment/{uuid}",
    response_class=HalResponse,
)
def deployments_of_version(
    pacticipant: Name, version: Name, uuid: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    row = pacticipants.get_version(session, pacticipant, version)
    environment = service.get_environment(session, uuid)
    rows = environment_repo.currently_deployed(
        session, environment_id=environment.id, version_id=row.id
    )
    return HalResponse(
        {
            "_embedded": {"deployedVersions": [deployed_version_json(r, urls) for r in rows]},
            "_links": {
                "self": link(
                    urls.version(pacticipant, version) + f"/deployed-versions/environment/{uuid}"
                )
            },
        }
    )


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
    row = pacticipants.get_version(session, pacticipant, version)
    environment = service.get_environment(session, uuid)
    released, _ = deployments.record_release(session, row, environment)
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
