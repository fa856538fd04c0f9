"""VerificationReport: the verifier's JSON results turned into a short field-level summary."""

from __future__ import annotations

from user_service_contract.report import Mismatch, VerificationReport

BODY_MISMATCH = {
    "consumer": "billing-service",
    "description": "a request for user 123",
    "pending": False,
    "result": "Error",
    "mismatch": {
        "type": "mismatches",
        "mismatches": [
            {
                "type": "BodyMismatch",
                "path": "$",
                "expected": '["email","id","name"]',
                "actual": '["email","id","username"]',
                "mismatch": "Actual map is missing the following keys: name",
            },
            {
                "type": "StatusMismatch",
                "expected": 200,
                "actual": 500,
                "mismatch": "expected 200 but was 500",
            },
        ],
    },
}
OK = {
    "consumer": "billing-service",
    "description": "a request for an unknown user",
    "pending": False,
    "result": "OK",
}


def test_failures_become_field_level_mismatches() -> None:
    report = VerificationReport.from_results(
        {"interactionResults": [OK, BODY_MISMATCH]}, problems=[]
    )

    assert not report.success
    assert (report.verified, report.failed_interactions) == (2, 1)
    assert report.mismatches == [
        Mismatch(
            "billing-service",
            "a request for user 123",
            "$",
            '["email","id","name"]',
            '["email","id","username"]',
            "Actual map is missing the following keys: name",
        ),
        Mismatch(
            "billing-service",
            "a request for user 123",
            "status",
            "200",
            "500",
            "expected 200 but was 500",
        ),
    ]
    assert report.summary().splitlines() == [
        "✗ billing-service — a request for user 123",
        "    at $: Actual map is missing the following keys: name",
        '      expected: ["email","id","name"]',
        '      actual:   ["email","id","username"]',
        "✗ billing-service — a request for user 123",
        "    at status: expected 200 but was 500",
        "      expected: 200",
        "      actual:   500",
        "Verification FAILED: 2 interaction(s) verified, 1 failed, 0 pending failure(s).",
    ]


def test_pending_failures_do_not_fail_the_run() -> None:
    pending = {**BODY_MISMATCH, "pending": True}
    report = VerificationReport.from_results({"interactionResults": [OK, pending]}, problems=[])

    assert report.success
    assert report.pending_failures == 1
    assert "(pending: does not fail the build)" in report.summary()


def test_nothing_verified_is_a_failure() -> None:
    report = VerificationReport.from_results({"interactionResults": []}, problems=[])

    assert not report.success
    assert "no interactions were verified" in report.summary()


def test_recorded_problems_fail_the_run() -> None:
    report = VerificationReport.from_results(
        {"interactionResults": [OK]}, problems=["unknown provider state 'x'"]
    )
    assert not report.success
    assert "✗ unknown provider state 'x'" in report.summary()


def test_errors_that_are_not_comparisons_are_shown() -> None:
    errored = {
        **OK,
        "result": "Error",
        "mismatch": {"type": "error", "message": "connection refused"},
    }
    report = VerificationReport.from_results({"interactionResults": [errored]}, problems=[])

    assert report.mismatches[0].message == "connection refused"
    assert not report.success


LOAD_FAILURE = {
    "result": False,
    "interactionResults": [],
    "errors": [
        {
            "interaction": "Failed to load pact",
            "mismatch": {
                "interactionId": "",
                "type": "error",
                "message": "Failed to load pact 'p.json' - Interaction 0 has an incorrect type",
            },
        }
    ],
}


def test_a_pact_the_verifier_could_not_load_fails_its_pact() -> None:
    """No interaction results, but the verifier failed the pact: its errors say why."""
    other = VerificationReport.from_results(
        {"result": True, "interactionResults": [OK]}, problems=[], require_interactions=False
    )
    broken = VerificationReport.from_results(LOAD_FAILURE, problems=[], require_interactions=False)
    report = VerificationReport.merged([other, broken])
    assert not report.success
    assert not broken.all_passed
    assert broken.failed_interactions == 1
    assert "incorrect type" in report.summary()
    pending = VerificationReport.from_results(
        LOAD_FAILURE, problems=[], pending=True, require_interactions=False
    )
    assert VerificationReport.merged([other, pending]).success
    assert pending.pending_failures == 1
    assert not pending.all_passed


def test_a_failed_pact_is_counted_once_though_errors_repeat_its_interactions() -> None:
    """The verifier lists a failing interaction in ``errors`` too, under another name."""
    results = {
        "result": False,
        "interactionResults": [BODY_MISMATCH, OK],
        "errors": [{"interaction": "Verifying a pact ... - a request for user 123"}],
    }
    report = VerificationReport.from_results(results, problems=[])
    assert report.failed_interactions == 1


def test_a_pending_pacts_state_problems_are_pending_failures() -> None:
    """A consumer's new provider state is what pending is for: it fails no build, and the
    result published for that pact is a failure. A crashed replay (no results) still fails."""
    replayed = {"result": True, "interactionResults": [OK]}
    problem = "unknown provider state 'a brand new state'"
    pending = VerificationReport.from_results(replayed, problems=[problem], pending=True)
    assert pending.success
    assert not pending.all_passed
    assert pending.pending_failures == 1
    assert problem in pending.summary()
    assert not VerificationReport.from_results(replayed, problems=[problem]).success
    crashed = VerificationReport.from_results({}, problems=["worker 2 crashed"], pending=True)
    assert not crashed.success


def test_a_pact_without_interactions_passes_as_pact_ffi_passes_it_but_not_a_whole_run() -> None:
    # What pact_ffi's verifier answers for such a pact: a warning, and result True.
    empty = {"result": True, "interactionResults": [], "errors": [], "pendingErrors": []}

    part = VerificationReport.from_results(empty, problems=[], require_interactions=False)

    assert part.success
    assert part.all_passed  # published as a success
    alone = VerificationReport.merged([part])
    assert not alone.success
    assert "no interactions were verified" in alone.summary()
    passing = VerificationReport.from_results(
        {"result": True, "interactionResults": [{"result": "OK"}]},
        problems=[],
        require_interactions=False,
    )
    assert VerificationReport.merged([part, passing]).success


def test_a_pact_without_interactions_that_the_verifier_failed_still_fails() -> None:
    broken = {"result": False, "interactionResults": [], "errors": []}

    part = VerificationReport.from_results(broken, problems=[], require_interactions=False)

    assert not part.success
    assert not part.all_passed


def test_a_merged_report_counts_its_pacts_and_those_reused() -> None:
    passed = {"interactionResults": [{"description": "x", "result": "OK"}]}
    replayed = VerificationReport.from_results(passed, problems=[], require_interactions=False)
    replayed.pacts = 1
    reused = VerificationReport.from_results(passed, problems=[], require_interactions=False)
    reused.pacts, reused.reused = 1, 1

    counts = VerificationReport.merged([replayed, reused, reused]).counts()

    assert counts == {
        "success": True,
        "pacts": 3,
        "reused": 2,
        "verified": 3,
        "failed": 0,
        "pendingFailures": 0,
    }
