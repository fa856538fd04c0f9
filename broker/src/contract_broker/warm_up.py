"""Importing, once the broker has started, what only some requests need.

The broker's start is on the critical path of every pipeline run (``invoke ci`` starts one and
waits for its heartbeat), so the modules below are imported by the functions that use them,
not when the app is imported (~0.13 s of a ~0.8 s start): validating a provider contract
(openapi-spec-validator, jsonschema), comparing it with pacts (the rules, RE2), the pages'
Jinja, the network picture's Graphviz binding and the badges' drawing.

A pipeline publishes a provider contract and a pact a moment after the broker answers, so the
app starts :func:`start` once it has started: a daemon thread imports them while the client's
first requests arrive, instead of before the broker is ready or during the first publish. A
function that needs one of them calls :func:`wait` before its import: while the thread
imports, a request waits for it rather than importing the same packages at the same time
(two threads entering one package from different ends can see it half-initialized).
"""

from __future__ import annotations

import importlib
import logging
import threading

__all__ = ["DEFERRED", "THREAD_NAME", "start", "wait", "warm_up"]

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

THREAD_NAME = "contract-broker-warm-up"

_lock = threading.Lock()
_under_way: set[threading.Thread] = set()


def warm_up(modules: tuple[str, ...] = DEFERRED) -> None:
    """Import ``modules``; one that fails is logged and left to the request that needs it."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:  # the request that needs it imports it again and fails there
            log.warning("could not import %s ahead of its first use (%r)", name, exc)


def start() -> threading.Thread:
    """Warm up in a daemon thread (it never delays the app's shutdown); returns the thread."""
    thread = threading.Thread(target=_run, name=THREAD_NAME, daemon=True)
    with _lock:
        _under_way.add(thread)
    try:
        thread.start()
    except RuntimeError as exc:  # no thread to be had: each module is imported at first use
        log.warning("could not start the import warm-up (%r)", exc)
        with _lock:
            _under_way.discard(thread)
    return thread


def wait() -> None:
    """Return once the warm-ups under way have finished (at once if none is, or from one)."""
    current = threading.current_thread()
    with _lock:
        others = [thread for thread in _under_way if thread is not current]
    for thread in others:
        thread.join()


def _run() -> None:
    try:
        warm_up()
    finally:
        with _lock:
            _under_way.discard(threading.current_thread())
