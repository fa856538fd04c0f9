"""``GET /matrix`` and ``GET /can-i-deploy``: the matrix rows and the deployable summary."""

from __future__ import annotations

from fastapi import APIRouter, Request

from contract_broker.api.deps import SessionDep, UrlsDep
from contract_broker.api.representations.matrix import matrix_json
from contract_broker.hal import HalResponse
from contract_broker.services import matrix as service

__all__ = ["router"]

router = APIRouter(tags=["matrix"])


@router.get("/matrix", response_class=HalResponse)
def get_matrix(request: Request, session: SessionDep, urls: UrlsDep) -> HalResponse:
    """The matrix for ``q[][pacticipant]=..&q[][version]=..`` selectors (what the CLI uses)."""
    result = service.matrix(session, request.query_params.multi_items())
    return HalResponse(matrix_json(result, urls))


@router.get("/can-i-deploy", response_class=HalResponse)
def get_can_i_deploy(request: Request, session: SessionDep, urls: UrlsDep) -> HalResponse:
    """Can ``pacticipant`` ``version`` go to ``environment`` (or the ``to`` tag)?"""
    result = service.can_i_deploy(session, request.query_params.multi_items())
    return HalResponse(matrix_json(result, urls))
