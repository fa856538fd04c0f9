"""provider-verify's per-pact records in the tier cache: a new success replaces what is there,
a record is filed only under the digest it names, and the digest is computed once per run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import tasks.cache
from tasks import verify
from tasks.cache import restore

SHA = "a" * 64
DIGEST = "d" * 64


class Harness:
    """Stands in for the verification harness: lists one pact, then writes ``written``."""

    def __init__(self) -> None:
        self.written: str | None = None
        self.reused: list[str] = []

    def __call__(self, c: object, args: list[str], env: dict[str, str] | None = None) -> None:
        if "--plan-out" in args:
            plan = Path(args[args.index("--plan-out") + 1])
            plan.write_text(json.dumps({"pacts": [{"content_sha": SHA}]}), encoding="utf-8")
            return
        reuse = Path(args[args.index("--reuse-dir") + 1])
        self.reused = sorted(p.read_text(encoding="utf-8") for p in reuse.glob("*.json"))
        if self.written is not None:
            folder = Path(args[args.index("--record-dir") + 1])
            folder.mkdir()
            (folder / f"{SHA}.json").write_text(self.written, encoding="utf-8")


def a_record(run: int, digest: str = DIGEST) -> str:
    results: dict[str, Any] = {"interactionResults": [{"result": "OK", "run": run}]}
    return json.dumps({"pact": SHA, "inputDigest": digest, "results": results})


@pytest.fixture
def harness(monkeypatch: pytest.MonkeyPatch) -> Harness:
    fake = Harness()
    monkeypatch.setattr(verify, "_run_harness", fake)
    monkeypatch.setattr(verify, "digest", lambda inputs, **_: DIGEST)
    return fake


def run(tmp_path: Path, store: Path, name: str) -> None:
    temp = tmp_path / name
    temp.mkdir()
    verify._verify_with_records(object(), ["python"], temp, store=store)  # type: ignore[arg-type]


def stored(store: Path, tmp_path: Path) -> str | None:
    out = tmp_path / "restored.json"
    if not restore(verify._pact_key(DIGEST, SHA), {verify.RESULT: out}, store=store):
        return None
    return out.read_text(encoding="utf-8")


def test_a_new_success_replaces_the_record_already_there(harness: Harness, tmp_path: Path) -> None:
    store = tmp_path / "store"
    harness.written = a_record(1)
    run(tmp_path, store, "first")
    assert stored(store, tmp_path) == a_record(1)

    # The harness found the record unsound, replayed the pact and recorded it again.
    harness.written = a_record(2)
    run(tmp_path, store, "second")

    assert harness.reused == [a_record(1)]
    assert stored(store, tmp_path) == a_record(2)


@pytest.mark.parametrize(
    "written",
    [a_record(1, digest="e" * 64), a_record(1)[:40], "[]"],
    ids=["another digest", "truncated", "not a record"],
)
def test_a_record_not_naming_this_runs_digest_is_not_kept(
    harness: Harness, tmp_path: Path, written: str
) -> None:
    store = tmp_path / "store"
    harness.written = written
    run(tmp_path, store, "first")
    assert stored(store, tmp_path) is None


def test_the_digest_is_computed_once_per_run(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def counted(inputs: object, **_: object) -> str:
        calls.append(1)
        return DIGEST

    monkeypatch.setattr(verify, "digest", counted)
    monkeypatch.setattr(tasks.cache, "digest", counted)
    harness.written = a_record(1)
    run(tmp_path, tmp_path / "store", "first")
    assert len(calls) == 1
    assert stored(tmp_path / "store", tmp_path) == a_record(1)
