"""The broker's start: what only some requests need is not imported before it is ready, and
is imported in the background once it is (contract_broker.warm_up)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

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


def imported_in_a_fresh_process(script: str, database_url: str) -> list[str]:
    """Which of :data:`DEFERRED` a new interpreter holds after running ``script``."""
    code = f"""
import json, sys
from contract_broker.settings import Settings
settings = Settings(_env_file=None, database_url=sys.argv[1], webhook_worker_enabled=False)
{script}
print(json.dumps(sorted(set(sys.argv[2:]) & set(sys.modules))))
"""
    done = subprocess.run(
        [sys.executable, "-c", code, database_url, *DEFERRED],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    imported: list[str] = json.loads(done.stdout.splitlines()[-1])
    return imported


def test_importing_and_creating_the_app_imports_none_of_them(tmp_path: Path) -> None:
    script = """
import contract_broker.__main__
from contract_broker.main import create_app
create_app(settings)
"""
    assert imported_in_a_fresh_process(script, f"sqlite:///{tmp_path / 'b.sqlite'}") == []


def test_once_the_app_has_started_they_are_imported_in_the_background(tmp_path: Path) -> None:
    script = """
from fastapi.testclient import TestClient
from contract_broker import warm_up
from contract_broker.main import create_app
with TestClient(create_app(settings)) as client:
    assert client.get("/diagnostic/status/heartbeat").status_code == 200
    warm_up.wait()
"""
    assert imported_in_a_fresh_process(script, f"sqlite:///{tmp_path / 'b.sqlite'}") == DEFERRED


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


def test_waiting_returns_once_the_warm_up_has_finished() -> None:
    thread = warm_up.start()

    warm_up.wait()

    assert not thread.is_alive()
    assert thread.daemon


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
