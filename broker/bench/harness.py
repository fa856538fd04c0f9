"""The measuring instruments: the app on a loopback port, SQL per request, a stack sampler.

Requests are sent one at a time, so every statement the engine runs between sending a request
and the app finishing it belongs to that request.
"""

from __future__ import annotations

import re
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx
import uvicorn
from sqlalchemy import Engine, event

__all__ = [
    "Probe",
    "Sample",
    "ServedApp",
    "StackSampler",
    "client_for",
    "normalize_sql",
]

HOST = "127.0.0.1"
REQUEST_TIMEOUT = 60.0
STARTUP_TIMEOUT = 30.0


@dataclass(frozen=True)
class Sample:
    """One request: what the client waited, what the app spent, the SQL it ran (with seconds)."""

    latency_ms: float
    server_ms: float
    statements: tuple[tuple[str, float], ...]

    @property
    def sql_ms(self) -> float:
        return sum(seconds for _, seconds in self.statements) * 1000


class Probe:
    """ASGI wrapper and engine listener: ``call(send)`` runs one request and returns its Sample.

    The app is done with a request when its ASGI call returns (the session's commit and the
    dependency clean-up included), which may be just after the client has the response.
    """

    def __init__(self, app: Any, engine: Engine) -> None:
        self.app = app
        self._done = threading.Event()
        self._server_seconds = 0.0
        self._recording = False
        self._statements: list[tuple[str, float]] = []
        self._pending: dict[int, tuple[str, float]] = {}
        self.origins = False
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self._server_seconds = time.perf_counter() - started
            self._done.set()

    def _before(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self._recording:
            if self.origins:
                statement = f"[{_origin(sys._getframe())}] {statement}"
            self._pending[id(conn)] = (statement, time.perf_counter())

    def _after(self, conn: Any, _cursor: Any, *_args: Any) -> None:
        started = self._pending.pop(id(conn), None)
        if started is not None:
            self._statements.append((started[0], time.perf_counter() - started[1]))

    def call(self, send: Callable[[], httpx.Response]) -> tuple[httpx.Response, Sample]:
        """Send one request with ``send``; its response, once the app has finished with it."""
        self._done.clear()
        self._statements = []
        self._pending.clear()
        self._recording = True
        began = time.perf_counter()
        try:
            response = send()
            latency = time.perf_counter() - began
            if not self._done.wait(REQUEST_TIMEOUT):
                raise TimeoutError("the app did not finish the request")
        finally:
            self._recording = False
        # A statement that raised never reaches after_cursor_execute: count it all the same.
        statements = self._statements + [(s, 0.0) for s, _ in self._pending.values()]
        return response, Sample(latency * 1000, self._server_seconds * 1000, tuple(statements))


class ServedApp:
    """An ASGI app served by uvicorn in a thread of this process, on a free loopback port.

    The listening socket is made with ``IPPROTO_TCP`` so asyncio sets ``TCP_NODELAY`` on the
    accepted connections: a kept-alive connection then answers without waiting for the
    client's delayed ACK.
    """

    def __init__(self, app: Any) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((HOST, 0))
        self.url = f"http://{HOST}:{self._sock.getsockname()[1]}"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    @contextmanager
    def running(self) -> Iterator[str]:
        """Serve until the block ends; yields the base URL."""
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        try:
            while not self._server.started:
                if not self._thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError("the broker did not start (see the output above)")
                time.sleep(0.01)
            yield self.url
        finally:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._sock.close()


def client_for(url: str) -> httpx.Client:
    """A kept-alive client, ``TCP_NODELAY`` on its side too, no proxies from the environment."""
    transport = httpx.HTTPTransport(
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)], trust_env=False
    )
    return httpx.Client(base_url=url, transport=transport, timeout=REQUEST_TIMEOUT, trust_env=False)


_PLACEHOLDERS = re.compile(r"\((?:\s*(?:\?|%\(\w+\)s|__\[POSTCOMPILE_\w+\])\s*,?)+\)")
_SPACES = re.compile(r"\s+")


def normalize_sql(statement: str) -> str:
    """One line, ``IN`` lists of any length as ``(...)``: the statement's shape."""
    return _PLACEHOLDERS.sub("(...)", _SPACES.sub(" ", statement).strip())


@dataclass
class StackSampler:
    """A sampling profiler for the app's threads (cProfile sees only the thread it runs in).

    Every ``interval`` seconds it takes the stacks of the other threads and keeps those inside
    ``focus`` code: the request being handled. The sampler needs the GIL to look, which it gets
    at once while the app waits on the database but only at a switch interval while the app
    runs Python: each sample is weighted by the time since the previous one, and the switch
    interval is shortened while sampling, so neither kind of work is over-counted.
    """

    interval: float = 0.0005
    focus: str = "/contract_broker/"
    samples: list[tuple[float, tuple[tuple[str, int, str], ...]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    @contextmanager
    def sampling(self) -> Iterator[StackSampler]:
        self._stop.clear()
        switch = sys.getswitchinterval()
        sys.setswitchinterval(self.interval / 5)
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()
            sys.setswitchinterval(switch)

    @property
    def seconds(self) -> float:
        return sum(weight for weight, _ in self.samples)

    def _run(self) -> None:
        me, caller = threading.get_ident(), threading.main_thread().ident
        last = time.perf_counter()
        while not self._stop.wait(self.interval):
            now = time.perf_counter()
            weight, last = now - last, now
            for ident, frame in sys._current_frames().items():
                if ident in {me, caller}:
                    continue
                stack: list[tuple[str, int, str]] = []
                current: Any = frame
                while current is not None:
                    code = current.f_code
                    stack.append((code.co_filename, current.f_lineno, code.co_name))
                    current = current.f_back
                if any(self.focus in filename for filename, _, _ in stack):
                    self.samples.append((weight, tuple(reversed(stack))))

    def categories(self) -> Counter[str]:
        """Sampled seconds by what the innermost Python frame is doing."""
        counts: Counter[str] = Counter()
        for weight, stack in self.samples:
            counts[_category(stack)] += weight  # type: ignore[assignment]
        return counts

    def broker_functions(self) -> Counter[str]:
        """Sampled seconds by broker function on the stack (cumulative: once per sample)."""
        counts: Counter[str] = Counter()
        for weight, stack in self.samples:
            for name in {_where(f, function) for f, _, function in stack if self.focus in f}:
                counts[name] += weight  # type: ignore[assignment]
        return counts

    def broker_lines(self) -> Counter[str]:
        """Sampled seconds by the innermost broker line: the broker code running or waiting."""
        counts: Counter[str] = Counter()
        for weight, stack in self.samples:
            for filename, line, name in reversed(stack):
                if self.focus in filename:
                    counts[f"{_where(filename, name)}:{line}"] += weight  # type: ignore[assignment]
                    break
        return counts

    def callees(self) -> Counter[str]:
        """Sampled seconds by innermost frame outside the broker (library hot spots)."""
        counts: Counter[str] = Counter()
        for weight, stack in self.samples:
            filename, line, name = stack[-1]
            short = "/".join(filename.split("/")[-2:])
            counts[f"{short}:{line} {name}"] += weight  # type: ignore[assignment]
        return counts


def _origin(frame: Any) -> str:
    """Where a statement comes from: the innermost public broker function on the stack (and
    the private helper it went through)."""
    helper = None
    while frame is not None:
        code = frame.f_code
        if "/contract_broker/" in code.co_filename:
            here = f"{_where(code.co_filename, code.co_name)}:{frame.f_lineno}"
            if not code.co_name.startswith(("_", "<")):
                return here if helper is None else f"{here} via {helper.rsplit('.', 1)[-1]}"
            helper = helper or here
        frame = frame.f_back
    return helper or "?"


def _where(filename: str, function: str) -> str:
    module = filename.split("/contract_broker/", 1)[-1].removesuffix(".py").replace("/", ".")
    return f"{module}.{function}"


def _category(stack: tuple[tuple[str, int, str], ...]) -> str:
    filename, _, function = stack[-1]
    if "/psycopg/" in filename or function in {"do_execute", "do_executemany", "do_commit"}:
        return "SQL: in the database driver (the database's own time included)"
    if "sqlalchemy" in filename:
        if "/engine/" in filename and function.startswith("fetch"):
            return "SQL: fetching rows"
        return "SQLAlchemy: building statements, ORM, row processing"
    if "/json/" in filename:
        return "JSON: encoding and decoding"
    if "/contract_broker/" in filename:
        return "broker code"
    if any(part in filename for part in ("/fastapi/", "/starlette/", "/pydantic", "/anyio/")):
        return "framework: FastAPI, Starlette, pydantic"
    return "other: " + "/".join(filename.split("/")[-2:])
