"""The app factory: routes, error mapping, middleware, migrations at start."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import event
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from contract_broker.api.auth import Authentication
from contract_broker.api.deps import BodyTooLarge, MalformedJson, UnsupportedMediaType
from contract_broker.api.middleware import RequestLog, SlashSafePaths
from contract_broker.api.routes import ROUTERS
from contract_broker.db import Database, migrate
from contract_broker.errors import Conflict, Invalid, NotFound
from contract_broker.hal import HalResponse
from contract_broker.services.webhook_worker import WebhookWorker
from contract_broker.settings import Settings, get_settings
from contract_broker.ui import routes as ui_routes
from contract_broker.ui.negotiation import BrowserPages

__all__ = ["create_app"]

log = logging.getLogger("contract_broker")

ERROR_TYPE = HalResponse.media_type
"""Errors are HAL JSON like every other answer, as the Pact Broker sends them."""


def _error(status: int, body: dict[str, Any], **headers: str) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=ERROR_TYPE, headers=headers or None)


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> Any:
    """The broker as an ASGI app. The schema is migrated when the app starts."""
    settings = settings or get_settings()
    database = database or Database(settings.database_url)

    worker = WebhookWorker(database, settings)

    def wake_worker(session: Session) -> None:
        if session.info.pop("webhooks_queued", False):
            worker.wake()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate(database)
        if settings.webhook_worker_enabled:
            event.listen(database.sessions, "after_commit", wake_worker)
            worker.start()
        yield
        if settings.webhook_worker_enabled:
            worker.stop()
            event.remove(database.sessions, "after_commit", wake_worker)
        database.dispose()

    app = FastAPI(
        title="contract-broker",
        summary="A Pact-Broker-compatible broker",
        lifespan=lifespan,
        docs_url="/api-docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.webhook_worker = worker
    for router in ROUTERS:
        app.include_router(router)
    _add_error_handlers(app)
    app.include_router(ui_routes.router)
    return RequestLog(SlashSafePaths(BrowserPages(Authentication(app, settings))))


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return _error(404, {"error": str(exc)})

    @app.exception_handler(Invalid)
    async def invalid(_: Request, exc: Invalid) -> JSONResponse:
        return _error(400, {"errors": exc.errors})

    @app.exception_handler(Conflict)
    async def conflict(_: Request, exc: Conflict) -> JSONResponse:
        body: dict[str, Any] = {"error": exc.message}
        if exc.notices is not None:
            body["notices"] = exc.notices
        if exc.errors is not None:
            body["errors"] = exc.errors
        return _error(409, body)

    @app.exception_handler(MalformedJson)
    async def malformed(_: Request, exc: MalformedJson) -> JSONResponse:
        return _error(400, {"error": f"the request body is not valid JSON: {exc}"})

    @app.exception_handler(UnsupportedMediaType)
    async def media_type(_: Request, exc: UnsupportedMediaType) -> JSONResponse:
        return _error(415, {"error": f"expected a JSON body (application/json), got {exc}"})

    @app.exception_handler(BodyTooLarge)
    async def too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return _error(413, {"error": f"the request body is larger than {exc} bytes"})

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors: dict[str, list[str]] = {}
        for error in exc.errors():
            location = ".".join(str(p) for p in error["loc"][1:]) or str(error["loc"][0])
            message = str(error["msg"]).removeprefix("Value error, ")
            errors.setdefault(location, []).append(message)
        return _error(400, {"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = "no such resource" if exc.status_code == 404 else str(exc.detail)
        return _error(exc.status_code, {"error": message}, **(exc.headers or {}))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error(500, {"error": "internal error; the broker log has the details"})
