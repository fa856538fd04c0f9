"""FastAPI dependencies: a session per request, settings, URLs, names from paths, JSON bodies."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, ExitStack
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import AfterValidator
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from contract_broker.api.admission import Admission
from contract_broker.api.auth import is_read_request
from contract_broker.db import Database
from contract_broker.errors import BodyTooLarge, Invalid, MalformedJson, UnsupportedMediaType
from contract_broker.hal import Urls
from contract_broker.services.content import load_json
from contract_broker.settings import Settings

__all__ = [
    "JSON_TYPES",
    "BodyTooLarge",
    "JsonBody",
    "MalformedJson",
    "Name",
    "SessionDep",
    "SettingsDep",
    "UnsupportedMediaType",
    "UrlsDep",
    "read_apart",
    "read_json",
]

T = TypeVar("T")

JSON_TYPES = ("application/json", "application/hal+json", "application/merge-patch+json")

# An encoded "/" inside a path segment reaches the app as this character (see app.SlashSafePaths),
# so a name like "team/app" is one segment; Name turns it back.
ENCODED_SLASH = "\ue000"

log = logging.getLogger("contract_broker")


def _restore_slashes(value: str) -> str:
    if "\x00" in value:
        # No name can hold one (PostgreSQL text cannot): refuse instead of querying with it.
        raise ValueError("a name cannot contain a NUL character")
    return value.replace(ENCODED_SLASH, "/")


Name = Annotated[str, AfterValidator(_restore_slashes)]
"""A name in a path or query (pacticipant, version, branch, tag, environment...)."""


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


# Writes that only read the database: they need read-write credentials (api/auth.py) but no
# write transaction. Executing a webhook waits for its target: it must not hold the write lock.
READING_WRITES = re.compile(r"^/webhooks/[^/]+/execute/?$")


def wants_write_transaction(request: Request) -> bool:
    path = request.url.path
    return not is_read_request(request.method, path) and not READING_WRITES.match(path)


def _admission(request: Request) -> Admission:
    admission: Admission | None = getattr(request.app.state, "admission", None)
    if admission is None:  # made on first use, so on the loop that serves the app
        admission = request.app.state.admission = Admission.for_database(get_database(request))
    return admission


async def _after_response() -> AsyncIterator[list[Callable[[], Awaitable[None]]]]:
    """Steps to take once the response is sent, or failed: this dependency has FastAPI's
    default ("request") scope, so its exit runs after the response in every case, even when
    building the response raised."""
    steps: list[Callable[[], Awaitable[None]]] = []
    try:
        yield steps
    finally:
        for step in steps:
            await step()


AfterResponse = Annotated[list[Callable[[], Awaitable[None]]], Depends(_after_response)]


async def get_session(request: Request, after_response: AfterResponse) -> AsyncIterator[Session]:
    """One transaction per request, begun once the request's turn comes (api/admission.py).

    A write is committed when the route returns, before the response is sent (a client that
    got 201 reads its write), and rolled back if the route raises. A read has nothing to
    commit: its transaction (one snapshot, no write lock) ends just after the response is
    sent, so the answer does not wait for that round trip to the database.
    """
    write = wants_write_transaction(request)
    turn = AsyncExitStack()
    await turn.enter_async_context(_admission(request).transaction(write=write))
    transaction = ExitStack()
    try:
        opening = get_database(request).session(write=write)
        if write:  # begins its transaction: may wait for SQLite's write lock
            session = await run_in_threadpool(transaction.enter_context, opening)
        else:  # no I/O until its first statement, in the route's thread: no hop for it
            session = transaction.enter_context(opening)
    except BaseException:
        await turn.aclose()
        raise
    try:
        yield session
    except BaseException as error:
        try:
            await run_in_threadpool(transaction.__exit__, type(error), error, error.__traceback__)
        finally:
            await turn.aclose()
        raise
    if write:
        try:
            await run_in_threadpool(transaction.close)
        finally:
            await turn.aclose()
    else:
        after_response.append(lambda: _end_read(transaction, turn))


async def _end_read(transaction: ExitStack, turn: AsyncExitStack) -> None:
    """End a read transaction after its response was sent; the turn ends with it, always."""
    try:
        await run_in_threadpool(transaction.close)
    except Exception:  # the answer is sent; a failure here (a lost connection) changes nothing
        log.warning("ending a read transaction failed", exc_info=True)
    finally:
        await turn.aclose()


async def read_apart(request: Request, query: Callable[[Session], T]) -> T:
    """``query``'s answer, read in a read transaction of its own (with its turn, api/admission.py)
    that ends before this returns: what the route does next holds no connection and no turn
    (the index draws its picture after this)."""
    async with _admission(request).transaction(write=False):

        def read() -> T:
            with get_database(request).session(write=False) as session:
                return query(session)

        return await run_in_threadpool(read)


# Dependencies that only read the app's state are coroutines: FastAPI runs a plain function in
# a worker thread, a thread hop per request for a dictionary lookup.
async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_urls(request: Request) -> Urls:
    settings: Settings = request.app.state.settings
    base = settings.public_base_url or str(request.base_url)
    return Urls(base)


# "function" scope: the dependency ends when the route returns, before the response is sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
UrlsDep = Annotated[Urls, Depends(get_urls)]


async def read_json(request: Request, *, allow_empty: bool = False, allow_nul: bool = True) -> Any:
    """The request body as JSON: 415 for a non-JSON content type, 400 when it does not parse.

    ``allow_nul=False``: a string holding a NUL character (``"\\u0000"``) is a 400 naming where
    it is. Bodies whose strings become names, URLs or text columns need this (PostgreSQL text
    cannot hold NUL); a pact's content may hold one, as it is stored as JSON text.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limit: int = request.app.state.settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > limit:
            raise BodyTooLarge(limit)
    if not raw.strip():
        if allow_empty:
            return {}
        raise Invalid({"body": ["a JSON body is required"]})
    if content_type not in JSON_TYPES:
        raise UnsupportedMediaType(content_type or "(none)")
    try:
        value = load_json(bytes(raw))
    except ValueError as exc:  # also JSONDecodeError, UnicodeDecodeError; nesting, surrogates
        raise MalformedJson(str(exc)) from exc
    # A NUL can only be written as an escape (a raw control character does not parse).
    if not allow_nul and b"\\u0000" in raw:
        where = _nul_path(value)
        if where is not None:
            raise Invalid({where: ["cannot contain a NUL character (\\u0000)"]})
    return value


def _nul_path(value: Any, path: str = "") -> str | None:
    """Where in ``value`` a string (or a key) holds a NUL: ``a.0.b`` (``body`` for the root)."""
    pending: list[tuple[Any, str]] = [(value, path)]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where or "body"
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{where}.{key}" if where else str(key)
                if "\x00" in key:
                    return child_path.replace("\x00", "\\u0000")
                pending.append((child, child_path))
        elif isinstance(item, list):
            pending.extend(
                (child, f"{where}.{index}" if where else str(index))
                for index, child in enumerate(item)
            )
    return None


async def _json_object(request: Request) -> dict[str, Any]:
    body = await read_json(request, allow_empty=True, allow_nul=False)
    if not isinstance(body, dict):
        raise Invalid({"body": [f"must be a JSON object, not {type(body).__name__}"]})
    return body


JsonBody = Annotated[dict[str, Any], Depends(_json_object)]
"""A JSON object body (an empty body counts as ``{}``)."""
