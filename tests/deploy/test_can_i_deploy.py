"""can-i-deploy's verdict comes from the answer's JSON (``summary.deployable``), not its prose."""

from __future__ import annotations

import json
from typing import Any

import pytest

from deploy.can_i_deploy import Answer, Row, parse_answer, refusal

REASON = "There is no verified pact between version b1 of billing-service and user-service"
ROW = {
    "consumer": {"name": "billing-service", "version": {"number": "b1"}},
    "provider": {"name": "user-service", "version": None},
    "verificationResult": None,
}


def answer(deployable: bool | None, **extra: Any) -> str:
    summary = {"deployable": deployable, "reason": REASON, "success": 0, "failed": 0}
    return json.dumps({"summary": summary, "notices": [], "matrix": [], **extra})


@pytest.mark.parametrize(
    ("deployable", "allowed"),
    [
        pytest.param(True, True, id="yes"),
        pytest.param(False, False, id="no"),
        pytest.param(None, False, id="unknown-refuses"),
    ],
)
def test_the_verdict_is_summary_deployable(deployable: bool | None, allowed: bool) -> None:
    parsed = parse_answer(answer(deployable))

    assert parsed == Answer(deployable=deployable, reason=REASON, notices=(), rows=())
    assert parsed.allowed is allowed


def test_rows_and_notices_are_read() -> None:
    notices = [{"type": "error", "text": REASON}, {"type": "info", "text": ""}]
    verified = {
        **ROW,
        "provider": {"name": "user-service", "version": {"number": "p1"}},
        "verificationResult": {"success": False},
    }

    parsed = parse_answer(answer(False, notices=notices, matrix=[ROW, verified]))

    assert parsed.notices == (REASON,)
    assert parsed.rows == (
        Row("billing-service", "b1", "user-service", "unknown", None),
        Row("billing-service", "b1", "user-service", "p1", False),
    )


def test_the_report_shows_the_matrix_the_reason_and_the_verdict() -> None:
    refused = parse_answer(answer(None, notices=[{"text": REASON}], matrix=[ROW]))
    allowed = parse_answer(answer(True))

    assert refused.report().splitlines() == [
        "CONSUMER         C.VERSION  PROVIDER      P.VERSION  SUCCESS?",
        "billing-service  b1         user-service  unknown    unknown",
        REASON,
        "❌ Computer says no ¯\\_(ツ)_/¯",
    ]
    assert allowed.report().splitlines() == [REASON, "✅ Computer says yes \\o/"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("Computer says no", "not JSON", id="prose"),
        pytest.param("[]", "no summary", id="not-an-object"),
        pytest.param('{"matrix": []}', "no summary", id="no-summary"),
        pytest.param('{"summary": {"deployable": "yes"}}', "summary.deployable", id="not-bool"),
    ],
)
def test_anything_else_is_not_an_answer(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_answer(text)


def test_the_refusal_is_one_line() -> None:
    assert refusal("user-service", "1.0.0", "production") == (
        "can-i-deploy: user-service 1.0.0 is not safe to deploy to production "
        "(the broker's reason is above)"
    )
