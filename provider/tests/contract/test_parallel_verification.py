"""Pacts replayed in worker processes: the same report as one after another, states per worker."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from contract_terms import USER_DOES_NOT_EXIST, USER_EXISTS, USER_SERVICE
from user_service_contract import LocalPacts, Shard, replay, verify_provider
from user_service_contract.replay import Target, replay_all
from user_service_contract.verification import plan_pacts


def interaction(
    description: str, user_id: int, *, state: str | None, status: int, body: Any = None
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "description": description,
        "request": {"method": "GET", "path": f"/users/{user_id}"},
        "response": {"status": status},
    }
    if state is not None:
        found["providerStates"] = [{"name": state, "params": {"id": user_id}}]
    if body is not None:
        found["response"]["body"] = body
    return found


def write_pact(folder: Path, consumer: str, *interactions: dict[str, Any]) -> None:
    pact = {
        "consumer": {"name": consumer},
        "provider": {"name": USER_SERVICE},
        "interactions": list(interactions),
        "metadata": {"pactSpecification": {"version": "3.0.0"}},
    }
    (folder / f"{consumer}-{USER_SERVICE}.json").write_text(json.dumps(pact))


def corpus(folder: Path) -> Path:
    """Three passing pacts and two failing ones (a wrong type, a field the app lacks)."""
    for n in range(3):
        write_pact(
            folder,
            f"passing-{n}",
            interaction(f"user {500 + n}", 500 + n, state=USER_EXISTS, status=200),
            interaction(f"no user {600 + n}", 600 + n, state=USER_DOES_NOT_EXIST, status=404),
        )
    write_pact(
        folder,
        "failing-type",
        interaction("user 700", 700, state=USER_EXISTS, status=200, body={"id": "700"}),
    )
    write_pact(
        folder,
        "failing-field",
        interaction("user 701", 701, state=USER_EXISTS, status=200, body={"nickname": "Ada"}),
        interaction("no user 702", 702, state=USER_DOES_NOT_EXIST, status=404),
    )
    return folder


def test_parallel_and_serial_runs_give_the_same_report(tmp_path: Path) -> None:
    pacts = LocalPacts(corpus(tmp_path))

    serial = verify_provider(pacts, workers=1, echo=lambda _: None)
    parallel = verify_provider(pacts, workers=3, echo=lambda _: None)

    assert not serial.success
    assert (serial.verified, serial.failed_interactions) == (9, 2)
    assert parallel.summary() == serial.summary()
    assert parallel.mismatches == serial.mismatches
    assert [m.consumer for m in serial.mismatches] == ["failing-field", "failing-type"]


def test_every_pact_starts_from_the_same_provider_state(tmp_path: Path) -> None:
    # "does not exist" deletes the seeded user 1 and its teardown puts nothing back; a later
    # pact expecting user 1 (without a state) passes only if each pact gets a fresh repository,
    # whichever process replays it and whatever it replayed before.
    write_pact(
        tmp_path, "a-deletes", interaction("no user 1", 1, state=USER_DOES_NOT_EXIST, status=404)
    )
    write_pact(tmp_path, "b-expects", interaction("seeded user 1", 1, state=None, status=200))
    write_pact(tmp_path, "c-expects", interaction("seeded user 1 again", 1, state=None, status=200))
    files = LocalPacts(tmp_path).pact_files(USER_SERVICE)

    parallel = replay_all(files, Target(), provider=USER_SERVICE, workers=2, echo=lambda _: None)
    serial = replay_all(files, Target(), provider=USER_SERVICE, workers=1)

    assert [r.results["result"] for r in serial] == [True, True, True]
    assert [r.results["result"] for r in parallel] == [True, True, True]
    assert len({r.worker.split("@")[0] for r in parallel}) == 2
    assert len({r.worker for r in serial}) == 1


def test_serial_and_parallel_verdicts_and_report_text_agree(tmp_path: Path) -> None:
    corpus(tmp_path)
    write_pact(
        tmp_path, "a-deletes", interaction("no user 1", 1, state=USER_DOES_NOT_EXIST, status=404)
    )
    write_pact(tmp_path, "b-expects", interaction("seeded user 1", 1, state=None, status=200))
    files = LocalPacts(tmp_path).pact_files(USER_SERVICE)

    serial = replay_all(files, Target(), provider=USER_SERVICE, workers=1)
    parallel = replay_all(files, Target(), provider=USER_SERVICE, workers=3, echo=lambda _: None)

    assert [r.results["result"] for r in parallel] == [r.results["result"] for r in serial]
    assert [_without_workers(r.output) for r in parallel] == [
        _without_workers(r.output) for r in serial
    ]
    assert [r.problems for r in parallel] == [r.problems for r in serial]
    pacts = LocalPacts(tmp_path)
    one = verify_provider(pacts, workers=1, echo=lambda _: None)
    three = verify_provider(pacts, workers=3, echo=lambda _: None)
    assert _without_workers(three.summary()) == _without_workers(one.summary())
    assert (one.verified, one.failed_interactions) == (11, 2)


def _without_workers(text: str) -> str:
    """Report text without what differs per process: loopback ports and timings."""
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    return re.sub(r"\d+(\.\d+)?\s*(ms|s)\b", "TIME", text)


def test_zero_interactions_in_every_worker_is_a_failure(tmp_path: Path) -> None:
    write_pact(tmp_path, "empty-a")
    write_pact(tmp_path, "empty-b")

    report = verify_provider(LocalPacts(tmp_path), workers=2, echo=lambda _: None)

    assert not report.success
    assert "no interactions were verified" in report.summary()


def test_shards_of_local_pacts_split_the_work(tmp_path: Path) -> None:
    pacts = LocalPacts(corpus(tmp_path))
    said: list[str] = []

    shares = [
        verify_provider(pacts, workers=1, shard=Shard(k, 2), echo=said.append) for k in (1, 2)
    ]

    assert sum(share.verified for share in shares) == 9
    sizes = [len(plan_pacts(pacts, shard=Shard(k, 2)).pacts) for k in (1, 2)]
    assert sum(sizes) == 5
    assert f"shard 1/2: {sizes[0]} of 5 pact(s)" in said
    assert f"shard 2/2: {sizes[1]} of 5 pact(s)" in said


def test_a_shard_with_nothing_to_do_passes_saying_so(tmp_path: Path) -> None:
    write_pact(tmp_path, "only", interaction("no user 9", 9, state=USER_DOES_NOT_EXIST, status=404))

    report = verify_provider(LocalPacts(tmp_path), shard=Shard(2, 2), echo=lambda _: None)

    assert report.success
    assert report.verified == 0
    assert "shard 2/2 has none of the 1 pact(s): nothing to verify" in report.summary()


def _workers_alive() -> list[int]:
    """Worker processes (``user_service_contract.worker``) whose parent is this process."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"user_service_contract.worker" in command:
            found.append(int(entry.name))
    return found


def test_a_worker_that_does_not_finish_in_time_is_killed_and_its_pacts_fail(
    tmp_path: Path,
) -> None:
    files = LocalPacts(corpus(tmp_path)).pact_files(USER_SERVICE)

    # No worker imports pact_ffi and starts an app in 50 ms.
    replayed = replay_all(
        files, Target(), provider=USER_SERVICE, workers=2, worker_timeout=0.05, echo=print
    )

    assert [r.results for r in replayed] == [{}] * 5
    for item in replayed:
        assert len(item.problems) == 1
        assert (
            "did not finish in time and was killed: its pacts were not verified"
            in (item.problems[0])
        )
    assert _workers_alive() == []
    report = verify_provider(
        LocalPacts(tmp_path), workers=2, worker_timeout=0.05, echo=lambda _: None
    )
    assert not report.success
    assert "did not finish in time" in report.summary()


def test_no_worker_outlives_a_parent_that_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = LocalPacts(corpus(tmp_path)).pact_files(USER_SERVICE)

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(replay, "_collect", interrupted)
    with pytest.raises(KeyboardInterrupt):
        replay_all(files, Target(), provider=USER_SERVICE, workers=3, echo=print)

    assert _workers_alive() == []


def test_a_worker_gets_more_time_for_more_interactions() -> None:
    assert replay.worker_seconds(0) == 120
    assert replay.worker_seconds(500) == 1120


def test_workers_do_not_get_the_brokers_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = LocalPacts(corpus(tmp_path)).pact_files(USER_SERVICE)
    monkeypatch.setenv("PACT_BROKER_TOKEN", "t0ken")
    monkeypatch.setenv("PACT_BROKER_USERNAME", "ci")
    monkeypatch.setenv("PACT_BROKER_PASSWORD", "s3cret")
    monkeypatch.setenv("PACT_BROKER_BASE_URL", "http://broker.example")
    envs: list[dict[str, str]] = []

    class Exited:
        returncode = 1

        def __init__(self, argv: list[str], **options: Any) -> None:
            envs.append(options["env"])

        def wait(self, timeout: float | None = None) -> int:
            return 1

        def poll(self) -> int:
            return 1

    monkeypatch.setattr(replay.subprocess, "Popen", Exited)
    replayed = replay_all(files, Target(), provider=USER_SERVICE, workers=2, echo=print)

    assert len(envs) == 2
    for env in envs:
        assert not {"PACT_BROKER_TOKEN", "PACT_BROKER_USERNAME", "PACT_BROKER_PASSWORD"} & set(env)
        assert env["PACT_BROKER_BASE_URL"] == "http://broker.example"
    assert all("failed (exit 1)" in item.problems[0] for item in replayed)
