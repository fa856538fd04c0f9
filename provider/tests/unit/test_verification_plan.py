"""Splitting verification by pact: shards, dealing pacts to workers, merging per-pact reports."""

from __future__ import annotations

import os
import random

import pytest

from user_service_contract.__main__ import main
from user_service_contract.plan import Plan, Shard, ShardError, VerifiablePact
from user_service_contract.publishing import build_test_results
from user_service_contract.replay import deal, default_workers
from user_service_contract.report import VerificationReport

BROKER = "https://broker.example.com"


def broker_pact(consumer: str, sha: str) -> VerifiablePact:
    return VerifiablePact.from_url(
        f"{BROKER}/pacts/provider/user-service/consumer/{consumer}/pact-version/{sha}/metadata/x"
    )


PACTS = [broker_pact(f"consumer-{n:02d}", f"{n * 7919:040x}") for n in range(23)]


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 23, 30])
def test_shards_are_disjoint_and_cover_everything(count: int) -> None:
    shares = [Shard(index, count).select(PACTS) for index in range(1, count + 1)]

    locations = [pact.location for share in shares for pact in share]
    assert sorted(locations) == sorted(pact.location for pact in PACTS)
    assert len(locations) == len(set(locations))


@pytest.mark.parametrize("count", [2, 3, 4])
def test_a_pact_added_or_removed_moves_no_other_pact(count: int) -> None:
    # Sorted first: dealt by position, it would have moved every pact after it.
    grown = [broker_pact("aaa-new-consumer", f"{1:040x}"), *PACTS]
    shrunk = PACTS[1:]

    for index in range(1, count + 1):
        before = Shard(index, count).select(PACTS)
        assert [p for p in Shard(index, count).select(grown) if p in PACTS] == before
        assert Shard(index, count).select(shrunk) == [p for p in before if p in shrunk]


def test_shares_are_balanced_on_average() -> None:
    many = [broker_pact(f"c-{n}", f"{n:040x}") for n in range(400)]

    sizes = [len(Shard(index, 4).select(many)) for index in range(1, 5)]

    assert sum(sizes) == 400
    assert min(sizes) >= 70


def test_a_shard_does_not_depend_on_the_order_the_broker_listed_the_pacts() -> None:
    shuffled = list(PACTS)
    random.Random(4).shuffle(shuffled)

    for index in (1, 2, 3):
        assert Shard(index, 3).select(shuffled) == Shard(index, 3).select(PACTS)


def test_the_split_follows_consumer_and_pact_sha() -> None:
    pact = broker_pact("billing service", "ABCDEF0123")

    assert (pact.consumer, pact.content_sha) == ("billing service", "abcdef0123")
    # The same consumer and SHA elsewhere (another broker, another list): the same share.
    elsewhere = VerifiablePact.from_url(
        "https://other.example/pacts/provider/user-service/consumer/billing%20service"
        "/pact-version/abcdef0123"
    )
    for count in (2, 3, 5):
        share = Shard(1, count).share_of(pact)
        assert Shard(1, count).share_of(elsewhere) == share
        assert pact in Shard(share, count).select([*PACTS, pact])


@pytest.mark.parametrize("text", ["", "1", "0/2", "3/2", "1/0", "a/b", "-1/2", "1/2/3", "1.5/2"])
def test_a_bad_shard_is_a_clear_error(text: str) -> None:
    with pytest.raises(ShardError, match="--shard"):
        Shard.parse(text)


def test_the_harness_refuses_a_bad_shard_or_worker_count(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv in (["--shard", "5/4"], ["--workers", "0"]):
        with pytest.raises(SystemExit) as exited:
            main(["--pact-dir", "pacts", *argv])
        assert exited.value.code == 2
    errors = capsys.readouterr().err
    assert "--shard 5/4: K must be between 1 and N" in errors
    assert "--workers: must be a whole number of at least 1, got '0'" in errors


def test_pacts_are_dealt_largest_first_to_the_least_loaded_worker() -> None:
    assert deal([100, 10, 60, 50], 2) == [[0, 1], [2, 3]]  # 100+10 and 60+50
    assert deal([100, 10, 20, 30], 2) == [[0], [1, 2, 3]]
    assert deal([5, 5, 5], 2) == [[0, 2], [1]]
    assert deal([1, 1], 4) == [[0], [1]]
    assert deal([3, 1, 2], 1) == [[0, 1, 2]]


OK = {"consumer": "a", "description": "ok", "result": "OK", "interactionId": "id-1"}
FAILED = {
    "consumer": "b",
    "description": "a request for user 123",
    "result": "Error",
    "interactionId": "id-2",
    "mismatch": {
        "type": "mismatches",
        "mismatches": [
            {
                "type": "BodyMismatch",
                "path": "$.id",
                "expected": "123",
                "actual": '"123"',
                "mismatch": "Expected '123' (String) to be an integer",
            }
        ],
    },
}


def test_a_pending_pacts_failures_do_not_fail_the_merged_report() -> None:
    passing = VerificationReport.from_results(
        {"interactionResults": [OK]}, problems=[], require_interactions=False
    )
    pending = VerificationReport.from_results(
        {"interactionResults": [FAILED]}, problems=[], pending=True, require_interactions=False
    )

    merged = VerificationReport.merged([passing, pending])

    assert merged.success
    assert (merged.verified, merged.failed_interactions, merged.pending_failures) == (2, 0, 1)
    assert "(pending: does not fail the build)" in merged.summary()
    assert not pending.all_passed  # published as a failure: the broker keeps it pending


def test_a_merged_report_of_empty_pacts_is_a_failure() -> None:
    empty = VerificationReport.from_results(
        {"interactionResults": []}, problems=[], require_interactions=False
    )

    merged = VerificationReport.merged([empty, empty])

    assert not merged.success
    assert merged.summary().count("no interactions were verified") == 1


def test_test_results_have_one_entry_per_interaction() -> None:
    results = build_test_results({"interactionResults": [OK, FAILED]}, problems=[])

    assert results == [
        {"interactionDescription": "ok", "success": True, "interactionId": "id-1"},
        {
            "interactionDescription": "a request for user 123",
            "success": False,
            "interactionId": "id-2",
            "mismatches": [
                {
                    "attribute": "body",
                    "description": "Expected '123' (String) to be an integer",
                    "identifier": "$.id",
                }
            ],
        },
    ]


def test_records_need_the_input_digest_they_belong_to(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--pact-dir", "pacts", "--reuse-dir", "records"]) == 2
    assert "--reuse-dir and --record-dir need --input-digest" in capsys.readouterr().err


def test_a_plan_survives_its_json_with_the_brokers_notices() -> None:
    pact = VerifiablePact.from_url(
        f"{BROKER}/pacts/provider/user-service/consumer/a/pact-version/abc/metadata/x",
        pending=True,
        notices=("The pact is being verified because ...",),
        after=(
            ("after_verification:success_false_published_true", "still pending: fine"),
            ("after_verification:success_true_published_true", "no longer pending"),
        ),
    )

    plan = Plan.from_json(Plan((pact,), 3).to_json())

    assert plan == Plan((pact,), 3)
    assert pact.after_notice(success=False, published=True) == "still pending: fine"
    assert pact.after_notice(success=True, published=False) is None


def test_default_workers_are_the_usable_cpus_at_most_8(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert default_workers() == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(32)), raising=False)
    assert default_workers() == 8
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert default_workers() == 2
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert default_workers() == 1
