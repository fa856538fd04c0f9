"""``/diagnostic/status/*``: the health checks a load balancer or orchestrator polls."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request

from contract_broker.api.deps import UrlsDep, get_database
from contract_broker.hal import HalResponse, link

__all__ = ["DEPENDENCIES_TIMEOUT_SECONDS", "router"]

log = logging.getLogger("contract_broker")

router = APIRouter(prefix="/diagnostic/status", tags=["diagnostic"])

DEPENDENCIES_TIMEOUT_SECONDS = 5.0
"""How long the dependencies check waits for the database before it answers 503."""


@router.get("/heartbeat", response_class=HalResponse)
def heartbeat(urls: UrlsDep) -> HalResponse:
    """Liveness: answers while the process serves requests; it touches nothing else."""
    return HalResponse(
        {"ok": True, "_links": {"self": link(urls("diagnostic", "status", "heartbeat"))}}
    )


@router.get("/dependencies", response_class=HalResponse)
async def dependencies(request: Request, urls: UrlsDep) -> HalResponse:
    """Readiness: 200 when the database answers a new connection, 503 (with why) otherwise."""
    database = get_database(request)
    problem: str | None = None
    try:
        await asyncio.wait_for(asyncio.to_thread(database.ping), DEPENDENCIES_TIMEOUT_SECONDS)
    except TimeoutError:
        problem = f"the database did not answer within {DEPENDENCIES_TIMEOUT_SECONDS:g} s"
    except Exception as exc:  # any driver error means "not ready"; its first line says why
        first_line = str(exc).strip().partition("\n")[0]
        problem = f"{type(exc).__name__}: {first_line}"
    report: dict[str, object] = {"ok": True}
    if problem is not None:
        log.warning("dependencies check: %s", problem)
        report = {"ok": False, "error": {"message": problem}}
    body = {
        "database": report,
        "_links": {"self": link(urls("diagnostic", "status", "dependencies"))},
    }
    return HalResponse(body, status_code=200 if problem is None else 503)
