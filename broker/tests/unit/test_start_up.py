"""The broker's start: what only some requests need is not imported before it is ready, and
is imported in the background once it is (contract_broker.warm_up)."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from contract_broker import warm_up

PACKAGES = [
    "anybadge",
    "graphviz",
    "jinja2",
    "jsonschema",
    "jsonschema_path",
    "openapi_schema_validator",
    "openapi_spec_validator",
    "re2",
    "referencing",
]
"""The third-party packages behind the deferred modules (~0.13 s of imports)."""

DEFERRED = sorted({*warm_up.DEFERRED, *PACKAGES})


def run_fresh(script: str, database_url: str) -> Any:
    """What ``script`` prints last (JSON), run in a new interpreter with ``settings`` and
    ``deferred()`` (which of :data:`DEFERRED` are imported) at hand."""
    code = f"""
import json, sys
from contract_broker.settings import Settings
settings = Settings(_env_file=None, database_url=sys.argv[1], webhook_worker_enabled=False)
def deferred():
    return sorted(set(sys.argv[2:]) & set(sys.modules))
{script}
"""
    done = subprocess.run(
        [sys.executable, "-c", code, database_url, *DEFERRED],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_importing_and_creating_the_app_imports_none_of_them(tmp_path: Path) -> None:
    script = """
import contract_broker.__main__
from contract_broker.main import create_app
create_app(settings)
print(json.dumps(deferred()))
"""
    assert run_fresh(script, f"sqlite:///{tmp_path / 'b.sqlite'}") == []


def test_once_the_started_app_has_answered_they_are_imported_in_the_background(
    tmp_path: Path,
) -> None:
    script = """
import threading, time
from fastapi.testclient import TestClient
from contract_broker import warm_up
from contract_broker.main import create_app
with TestClient(create_app(settings)) as client:
    (thread,) = [t for t in threading.enumerate() if t.name == warm_up.THREAD_NAME]
    time.sleep(0.1)
    before_any_answer = deferred()
    status = client.get("/diagnostic/status/heartbeat").status_code
    thread.join(30)
    print(json.dumps([before_any_answer, status, deferred()]))
"""
    assert run_fresh(script, f"sqlite:///{tmp_path / 'b.sqlite'}") == [[], 200, DEFERRED]


def test_a_module_that_cannot_be_imported_is_logged_not_raised_and_the_rest_imported(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)

    with caplog.at_level(logging.WARNING, logger="contract_broker.warm_up"):
        warm_up.warm_up(("contract_broker.no_such_module", "colorsys"))

    assert "colorsys" in sys.modules
    assert [r.getMessage() for r in caplog.records] == [
        "could not import contract_broker.no_such_module ahead of its first use "
        "(ModuleNotFoundError(\"No module named 'contract_broker.no_such_module'\"))"
    ]


def test_waiting_starts_a_warm_up_still_waiting_for_its_cue_and_waits_for_it() -> None:
    cue = threading.Event()
    thread = warm_up.start(cue)
    assert thread.is_alive()
    assert thread.daemon

    warm_up.wait()

    assert cue.is_set()
    assert not thread.is_alive()


def test_the_served_app_is_made_without_collections_then_frozen(tmp_path: Path) -> None:
    code = """
import gc, json
collections = []
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info))
from contract_broker.__main__ import served_app
made_before = len(collections)
served_app()
print(json.dumps([collections[made_before:], gc.isenabled(), gc.get_freeze_count() > 0]))
"""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "PACT_BROKER_DATABASE_URL": f"sqlite:///{tmp_path / 'b.sqlite'}"},
    )

    assert json.loads(done.stdout.splitlines()[-1]) == [[], True, True]


def test_every_package_behind_a_deferred_module_is_checked_at_start() -> None:
    assert set(warm_up.PACKAGES) <= set(PACKAGES)
    # jsonschema_path comes with openapi_spec_validator: finding that one finds both
    assert set(PACKAGES) - set(warm_up.PACKAGES) == {"jsonschema_path"}


def test_a_broker_lacking_a_package_it_imports_later_does_not_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contract_broker.main import create_app
    from contract_broker.settings import Settings

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *rest: None if name == "re2" else real(name, *rest),
    )
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'b.sqlite'}")

    with pytest.raises(ImportError, match=r"^the broker needs re2, not installed"):
        create_app(settings)


def test_a_wait_never_meets_a_warm_up_not_yet_started(monkeypatch: pytest.MonkeyPatch) -> None:
    # wait() loops in one thread while start() registers warm-ups in this one, each thread slow
    # to start: joining a thread registered but not yet started would raise RuntimeError.
    errors: list[BaseException] = []
    stop = threading.Event()

    def waiting() -> None:
        while not stop.is_set():
            try:
                warm_up.wait()
            except BaseException as exc:
                errors.append(exc)
                return

    waiter = threading.Thread(target=waiting)
    waiter.start()
    real_start = threading.Thread.start

    def slow_start(thread: threading.Thread) -> None:
        time.sleep(0.05)
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", slow_start)
    try:
        for _ in range(5):
            warm_up.start(None)
    finally:
        monkeypatch.undo()
        stop.set()
        waiter.join(30)
    warm_up.wait()

    assert errors == []
