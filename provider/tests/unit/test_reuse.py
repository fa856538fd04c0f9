"""ResultCache: only a whole success recorded for this pact and this input digest is reused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from user_service_contract.plan import VerifiablePact
from user_service_contract.reuse import ResultCache

PACT = VerifiablePact(location="a.json", consumer="a", content_sha="abc123")
PASSED = {"interactionResults": [{"description": "x", "result": "OK"}]}


def test_a_recorded_success_is_read_back(tmp_path: Path) -> None:
    ResultCache("digest-1", record_dir=tmp_path).record(PACT, PASSED)

    assert ResultCache("digest-1", reuse_dir=tmp_path).recorded(PACT) == PASSED


def test_another_digest_or_pact_is_a_miss(tmp_path: Path) -> None:
    ResultCache("digest-1", record_dir=tmp_path).record(PACT, PASSED)
    other = VerifiablePact(location="b.json", consumer="b", content_sha="def456")

    assert ResultCache("digest-2", reuse_dir=tmp_path).recorded(PACT) is None
    assert ResultCache("digest-1", reuse_dir=tmp_path).recorded(other) is None


def test_a_failure_or_nothing_verified_is_never_reused(tmp_path: Path) -> None:
    cache = ResultCache("digest-1", reuse_dir=tmp_path, record_dir=tmp_path)
    failed = {"interactionResults": [{"result": "OK"}, {"result": "Error"}]}

    for results in (failed, {"interactionResults": []}):
        cache.record(PACT, results)
        assert cache.recorded(PACT) is None


def test_a_damaged_record_is_a_miss(tmp_path: Path) -> None:
    (tmp_path / "abc123.json").write_text("{not json")

    assert ResultCache("digest-1", reuse_dir=tmp_path).recorded(PACT) is None


def test_the_harness_starts_without_the_verifier_or_the_app() -> None:
    # A run whose every pact has a recorded success replays nothing: it must not pay for
    # importing pact_ffi's verifier, uvicorn or the app (they load when a pact is replayed).
    heavy = ("pact", "fastapi", "uvicorn", "user_service", "user_service_contract.replay")
    code = (
        "import sys, user_service_contract.__main__\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "[]"
