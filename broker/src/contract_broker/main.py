"""The app factory: routes, error mapping, middleware, migrations at start."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, IntegrityError, NoResultFound
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from contract_broker import warm_up
from contract_broker.api.auth import Authentication
from contract_broker.api.middleware import RequestLog, SlashSafePaths
from contract_broker.api.routes import ROUTERS
from contract_broker.db import Database, migrate
from contract_broker.errors import (
    BodyTooLarge,
    Conflict,
    Invalid,
    InvalidQuery,
    MalformedJson,
    NotFound,
    UnsupportedMediaType,
)
from contract_broker.hal import HalResponse
from contract_broker.services.webhook_worker import WebhookWorker
from contract_broker.settings import Settings, get_settings
from contract_broker.ui import routes as ui_routes
from contract_broker.ui.negotiation import BrowserPages

__all__ = ["create_app"]

log = logging.getLogger("contract_broker")

ERROR_TYPE = HalResponse.media_type
"""Errors are HAL JSON like every other answer, as the Pact Broker sends them."""


CHANGED_MEANWHILE = (
    "What this request reads or writes was changed by another request at the same time; "
    "retry the request"
)
"""A lost race the database detected: a row deleted or taken while this request used it."""

RACE_CONSTRAINTS = {"23505", "23503", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_FOREIGNKEY"}
"""Integrity errors a concurrent request causes (a key taken, a referenced row deleted), as
PostgreSQL's SQLSTATE or SQLite's error name; any other (NOT NULL, CHECK) is the broker's bug."""

TRY_AGAIN = {"40P01", "40001"}
"""PostgreSQL's deadlock_detected and serialization_failure: the same request will succeed."""


def _error(status: int, body: dict[str, Any], **headers: str) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=ERROR_TYPE, headers=headers or None)


def _database_code(exc: DBAPIError) -> str | None:
    """The driver's code for ``exc``: SQLSTATE (psycopg) or the SQLite error name."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "sqlite_errorname", None)
    return code if isinstance(code, str) else None


def _reason(exc: Exception) -> str:
    """The first line of what the database said, without the statement and its parameters."""
    said = exc.orig if isinstance(exc, DBAPIError) else exc
    first_line, _, _ = str(said).strip().partition("\n")
    return f"{type(said).__name__}: {first_line}"


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> Any:
    """The broker as an ASGI app. The schema is migrated when the app starts."""
    warm_up.check_installed()  # what it imports later must be there now
    settings = settings or get_settings()
    database = database or Database(
        settings.database_url,
        max_connections=settings.database_max_connections,
        validate_after_idle=settings.database_connection_validation_timeout,
    )

    worker = WebhookWorker(database, settings)
    answered = threading.Event()

    def wake_worker(session: Session) -> None:
        if session.info.pop("webhooks_queued", False):
            worker.wake()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate(database)
        if settings.webhook_worker_enabled:
            event.listen(database.sessions, "after_commit", wake_worker)
            worker.start()
        # What only some requests need is imported once the first request has its answer.
        app.state.warm_up = warm_up.start(answered)
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
    answering = SlashSafePaths(BrowserPages(Authentication(app, settings)))
    return RequestLog(warm_up.FirstAnswer(answering, answered))


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return _error(404, {"error": str(exc)})

    @app.exception_handler(Invalid)
    async def invalid(_: Request, exc: Invalid) -> JSONResponse:
        return _error(400, {"errors": exc.errors})

    @app.exception_handler(InvalidQuery)
    async def invalid_query(_: Request, exc: InvalidQuery) -> JSONResponse:
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
        return _error(413, {"error": f"the request body is larger than {exc.limit} bytes"})

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

    def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return _error(500, {"error": "internal error; the broker log has the details"})

    def changed_meanwhile(request: Request, exc: Exception) -> JSONResponse:
        log.warning(
            "409 for %s %s: another request changed its rows at the same time (%s)",
            request.method,
            request.url.path,
            _reason(exc),
        )
        return _error(409, {"error": CHANGED_MEANWHILE})

    @app.exception_handler(StaleDataError)
    async def stale(request: Request, exc: StaleDataError) -> JSONResponse:
        return changed_meanwhile(request, exc)

    @app.exception_handler(NoResultFound)
    async def vanished(request: Request, exc: NoResultFound) -> JSONResponse:
        return changed_meanwhile(request, exc)

    @app.exception_handler(IntegrityError)
    async def integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        if _database_code(exc) in RACE_CONSTRAINTS:
            return changed_meanwhile(request, exc)
        return unexpected_error(request, exc)

    def retry_later(request: Request, exc: DBAPIError, why: str, error: str) -> JSONResponse:
        log.warning("503 for %s %s: %s (%s)", request.method, request.url.path, why, _reason(exc))
        return _error(503, {"error": f"{error}; retry the request"}, **{"Retry-After": "1"})

    @app.exception_handler(DBAPIError)
    async def database(request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            return retry_later(
                request,
                exc,
                "the database connection was lost",
                "the connection to the database was lost",
            )
        if _database_code(exc) in TRY_AGAIN:
            return retry_later(
                request,
                exc,
                "the database chose it to retry",
                "the database was busy with conflicting requests",
            )
        return unexpected_error(request, exc)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return unexpected_error(request, exc)
