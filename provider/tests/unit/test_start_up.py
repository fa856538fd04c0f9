"""``user-service`` starts without the cyclic collector walking the app's imports."""

from __future__ import annotations

import json
import subprocess
import sys


def test_the_app_is_imported_and_made_without_collections_then_frozen() -> None:
    code = """
import gc, json, sys
collections = []
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info))
import uvicorn
served = []
uvicorn.run = lambda app, **options: served.append((type(app).__name__, options["port"]))
from user_service.__main__ import main
imported_early = "fastapi" in sys.modules  # the package does not import the app by itself
before = len(collections)
main(["--port", "8123"])
frozen = gc.get_freeze_count() > 0
print(json.dumps([imported_early, collections[before:], gc.isenabled(), frozen, served]))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )

    imported_early, collections, enabled, frozen, served = json.loads(done.stdout.splitlines()[-1])
    assert imported_early is False
    assert collections == []
    assert enabled is True
    assert frozen is True
    assert served == [["FastAPI", 8123]]


def test_the_package_still_offers_create_app() -> None:
    import user_service

    assert user_service.create_app().title
