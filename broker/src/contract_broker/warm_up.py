"""Importing, once the broker has answered, what only some requests need.

The broker's start is on the critical path of every pipeline run (``invoke ci`` starts one and
waits for its heartbeat), so the modules below are imported by the functions that use them,
not when the app is imported (~0.13 s of a ~0.8 s start): validating a provider contract
(openapi-spec-validator, jsonschema), comparing it with pacts (the rules, RE2), the pages'
Jinja, the network picture's Graphviz binding and the badges' drawing.

A pipeline publishes a provider contract and a pact a moment after the broker answers, so the
app's start starts a daemon thread (:func:`start`) that imports them once the app has sent its
first answer (:class:`FirstAnswer`; a readiness probe, as a rule): the imports overlap the
client's next requests instead of slowing that first one (the thread would hold the GIL half
the time), and do not wait for the first publish. A function that needs one of the modules
calls :func:`wait` before its import: it starts a warm-up still waiting for its cue and waits
for it, rather than importing the same packages alongside it (two threads entering one package
from different ends can see it half-initialized).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import threading
from typing import Any

__all__ = [
    "CUE_TIMEOUT",
    "DEFERRED",
    "PACKAGES",
    "THREAD_NAME",
    "FirstAnswer",
    "check_installed",
    "start",
    "wait",
    "warm_up",
]

log = logging.getLogger(__name__)

DEFERRED = (
    "jsonschema.exceptions",
    "openapi_spec_validator",
    "openapi_spec_validator.validation.exceptions",
    "openapi_spec_validator.validation.keywords",
    "referencing.exceptions",
    "contract_broker.services.provider_contracts.schemas",
    "contract_broker.services.provider_contracts.matching",
    "contract_broker.services.provider_contracts.request_rules",
    "contract_broker.services.provider_contracts.response_rules",
    "jinja2",
    "graphviz",
    "anybadge",
)
"""Imported where they are used, not at start; in the order a pipeline's first requests need
them (publishing a provider contract validates it, publishing a pact compares it)."""

PACKAGES = (
    "jsonschema",
    "openapi_spec_validator",
    "openapi_schema_validator",
    "referencing",
    "re2",
    "jinja2",
    "graphviz",
    "anybadge",
)
"""The installed packages the deferred modules import: ``check_installed`` finds each at start
(without importing it), so a broker that lacks one still fails to start, as it did when they
were imported at start, rather than answering its heartbeat and failing every publish."""

THREAD_NAME = "contract-broker-warm-up"

CUE_TIMEOUT = 2.0
"""Seconds a warm-up waits for its cue (the app's first answer) before it imports anyway."""

_lock = threading.Lock()
_under_way: dict[threading.Thread, threading.Event] = {}


def check_installed(packages: tuple[str, ...] = PACKAGES) -> None:
    """Raise ``ImportError`` naming each of ``packages`` that is not installed (found, not
    imported: a millisecond)."""
    missing = [name for name in packages if importlib.util.find_spec(name) is None]
    if missing:
        raise ImportError(
            f"the broker needs {', '.join(missing)}, not installed in this environment "
            "(uv sync --package contract-broker installs them)"
        )


def warm_up(modules: tuple[str, ...] = DEFERRED) -> None:
    """Import ``modules``; one that fails is logged and left to the request that needs it."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:  # the request that needs it imports it again and fails there
            log.error("could not import %s ahead of its first use (%r)", name, exc)


def start(cue: threading.Event | None = None) -> threading.Thread:
    """Warm up in a daemon thread (never delaying shutdown) once ``cue`` is set (or at once)."""
    if cue is None:
        cue = threading.Event()
        cue.set()
    thread = threading.Thread(target=_run, args=(cue,), name=THREAD_NAME, daemon=True)
    # Registered and started under the lock: a wait() never sees a thread not yet started
    # (joining one raises). The thread takes the lock only as it ends.
    with _lock:
        _under_way[thread] = cue
        try:
            thread.start()
        except RuntimeError as exc:  # no thread to be had: each module is imported at first use
            log.warning("could not start the import warm-up (%r)", exc)
            del _under_way[thread]
    return thread


def wait() -> None:
    """Return once the warm-ups under way have finished, starting any still waiting for its cue
    (at once if none is under way, or when called from one)."""
    current = threading.current_thread()
    with _lock:
        others = [(t, cue) for t, cue in _under_way.items() if t is not current]
    for thread, cue in others:
        cue.set()
        thread.join()


class FirstAnswer:
    """ASGI middleware that sets ``cue`` once the app has answered its first HTTP request."""

    def __init__(self, app: Any, cue: threading.Event) -> None:
        self.app = app
        self.cue = cue

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http" and not self.cue.is_set():
                self.cue.set()


def _run(cue: threading.Event) -> None:
    try:
        cue.wait(CUE_TIMEOUT)
        warm_up()
    finally:
        with _lock:
            _under_way.pop(threading.current_thread(), None)
