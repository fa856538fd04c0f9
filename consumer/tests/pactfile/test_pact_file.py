"""The pact file the contract tests write: reproducible and free of stale interactions.

These run the contract tests in a subprocess, so they live outside tests/contract (the
contract-consumer tier runs only the contract tests themselves).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from contract_terms import EXISTING_USER_ID, PACT_FILE_NAME

PACT_TESTS = Path(__file__).parents[1] / "contract" / "test_user_service_pact.py"


def write_pact(directory: Path) -> bytes:
    """Run the contract tests in a fresh interpreter, writing the pact into ``directory``."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(PACT_TESTS),
            f"--pact-dir={directory}",
        ],
        cwd=PACT_TESTS.parents[2],
        env={**os.environ, "PACT_DO_NOT_TRACK": "true"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return (directory / PACT_FILE_NAME).read_bytes()


def test_two_runs_write_byte_identical_pacts(tmp_path: Path) -> None:
    first = write_pact(tmp_path / "first")
    second = write_pact(tmp_path / "second")

    assert first == second
    descriptions = [i["description"] for i in json.loads(first)["interactions"]]
    assert sorted(descriptions) == [
        "a request for an unknown user",
        f"a request for user {EXISTING_USER_ID}",
    ]


def test_stale_interactions_do_not_survive_a_run(tmp_path: Path) -> None:
    stale = json.loads(write_pact(tmp_path))
    stale["interactions"].append(
        {**stale["interactions"][0], "description": "an interaction the tests no longer make"}
    )
    (tmp_path / PACT_FILE_NAME).write_text(json.dumps(stale))

    rewritten = json.loads(write_pact(tmp_path))

    assert "an interaction the tests no longer make" not in {
        i["description"] for i in rewritten["interactions"]
    }
    assert len(rewritten["interactions"]) == 2
