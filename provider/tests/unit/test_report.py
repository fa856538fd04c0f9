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
