"""provider-verify's per-pact records in the tier cache: a new success replaces what is there,
a record is filed only under the digest it names, the digest is computed once per run, and every
record of this digest (none other) reaches the harness's one run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import tasks.cache
from tasks import verify
from tasks.cache import record, restore

SHA = "a" * 64
DIGEST = "d" * 64


class Harness:
    """Stands in for the verification harness: takes the records it is given, then writes
    ``written``."""

    def __init__(self) -> None:
        self.written: str | None = None
        self.reused: list[str] = []
        self.reused_names: list[str] = []
        self.runs = 0
        self.counts: str | None = None

    def __call__(self, c: object, args: list[str], env: dict[str, str] | None = None) -> None:
        self.runs += 1
        reuse = Path(args[args.index("--reuse-dir") + 1])
        self.reused = sorted(p.read_text(encoding="utf-8") for p in reuse.glob("*.json"))
        self.reused_names = sorted(p.name for p in reuse.iterdir())
        if self.counts is not None:
            Path(args[args.index("--counts-out") + 1]).write_text(self.counts, encoding="utf-8")
        if self.written is not None:
            folder = Path(args[args.index("--record-dir") + 1])
            folder.mkdir()
            (folder / f"{SHA}.json").write_text(self.written, encoding="utf-8")


def a_record(run: int, digest: str = DIGEST, sha: str = SHA) -> str:
    results: dict[str, Any] = {"interactionResults": [{"result": "OK", "run": run}]}
    return json.dumps({"pact": sha, "inputDigest": digest, "results": results})


@pytest.fixture
def harness(monkeypatch: pytest.MonkeyPatch) -> Harness:
    fake = Harness()
    monkeypatch.setattr(verify, "_run_harness", fake)
    monkeypatch.setattr(verify, "digest", lambda inputs, **_: DIGEST)
    return fake


def run(tmp_path: Path, store: Path, name: str) -> verify.Reused:
    temp = tmp_path / name
    temp.mkdir()
    return verify._verify_with_records(object(), ["python"], temp, store=store)  # type: ignore[arg-type]


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
    assert harness.runs == 2  # once per verification: no separate listing run


def keep(
    store: Path,
    tmp_path: Path,
    *,
    digest: str,
    sha: str,
    tier: str = verify.VERIFY_TIER,
    name: str | None = None,
) -> None:
    """A record as _verify_with_records files it (``name``: what its metadata calls it)."""
    source = tmp_path / f"{sha}-{digest[:4]}.json"
    source.write_text(a_record(7, digest=digest, sha=sha), encoding="utf-8")
    group = (digest, sha if name is None else name)
    record(verify._pact_key(digest, sha), tier, {verify.RESULT: source}, store=store, group=group)


def test_every_record_of_this_digest_and_none_other_reaches_the_harness(
    harness: Harness, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    for sha in ("1" * 64, "2" * 64):
        keep(store, tmp_path, digest=DIGEST, sha=sha)
    keep(store, tmp_path, digest="e" * 64, sha="3" * 64)  # another provider input digest
    keep(store, tmp_path, digest=DIGEST, sha="4" * 64, tier="unit-provider")  # another tier
    keep(store, tmp_path, digest=DIGEST, sha="5" * 64, name="../escaped")  # not a file name

    run(tmp_path, store, "first")

    assert harness.runs == 1
    assert harness.reused_names == [f"{'1' * 64}.json", f"{'2' * 64}.json"]
    assert harness.reused == sorted(a_record(7, sha=sha) for sha in ("1" * 64, "2" * 64))
    assert not (tmp_path / "first" / "escaped.json").exists()


def test_a_damaged_record_of_this_digest_is_not_handed_over(
    harness: Harness, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    keep(store, tmp_path, digest=DIGEST, sha=SHA)
    (store / verify._pact_key(DIGEST, SHA) / "outputs" / verify.RESULT).write_text("{}")

    run(tmp_path, store, "first")

    assert harness.reused_names == []


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


@pytest.mark.parametrize(
    ("counts", "every", "note"),
    [
        ('{"pacts": 2, "reused": 2}', True, "all 2 pact result(s) reused: digest dddddddddddd"),
        ('{"pacts": 3, "reused": 1}', False, "1 of 3 pact result(s) reused: digest dddddddddddd"),
        ('{"pacts": 2, "reused": 0}', False, ""),
        ('{"pacts": 0, "reused": 0}', False, ""),  # a shard with nothing to verify
        ("not json", False, ""),
        (None, False, ""),  # the harness wrote nothing
    ],
)
def test_the_run_says_how_many_pacts_it_reused(
    harness: Harness, tmp_path: Path, counts: str | None, every: bool, note: str
) -> None:
    harness.counts = counts

    reused = run(tmp_path, tmp_path / "store", "first")

    assert reused.every_pact is every
    assert reused.note == note
