"""``invoke ci`` end to end on its embedded broker: the provider contract is published first, and
the consumer's contract-check runs against it between contract-consumer and publish."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .conftest import Ran

FIELD = "body $.name — name is not in the response schema of GET /users/{user_id}"


def stages(output: str) -> list[tuple[str, str]]:
    """Each stage's name and outcome, in the order the pipeline ran them."""
    return re.findall(
        r"^(\S[^:\n]*): (passed|cached|failed \(expected\)|failed|refused[^\n]*?) in ", output, re.M
    )


def test_ci_checks_the_pact_against_the_contract_before_publishing(
    invoke: Callable[..., Ran],
) -> None:
    ran = invoke("ci", timeout=180)

    assert ran.exited == 0, ran.output
    ran_stages = stages(ran.stdout)
    names = [name for name, _ in ran_stages]
    assert names[:6] == [
        "environments, main branches, webhook",
        "provider-contract",
        "unit",
        "contract-consumer",
        "contract-check",
        "publish",
    ]
    assert ("contract-check", "passed") in ran_stages
    assert "contract-check: passed: compatible with 1 provider contract(s)" in ran.stdout
    # The pair has a comparison (the contract) and a replay (provider-verify): deploys go through.
    assert ran_stages[-1] == ("deploy to production", "passed")


def test_ci_breaking_fails_at_contract_check_first_then_at_the_replay(
    invoke: Callable[..., Ran],
) -> None:
    ran = invoke("ci", "--breaking", timeout=180)

    assert ran.exited == 1, ran.output
    ran_stages = stages(ran.stdout)
    assert ran_stages[1] == ("provider-contract", "passed")
    assert ran_stages[4] == ("contract-check", "failed (expected)")
    assert ran_stages[5] == ("publish", "passed")
    assert ("webhook-verify", "failed") in ran_stages
    assert re.search(
        rf"fails billing-service's \"a request for user 123\": {re.escape(FIELD)}", ran.stdout
    )
    assert "Actual map is missing the following keys: name" in ran.stdout
    assert ran.stderr.strip().splitlines()[-1].startswith("ci failed at webhook · webhook-verify")
