"""provider-contract and contract-check end to end: the official CLI publishes, the broker compares.

One embedded broker serves the module, with ``main`` as user-service's main branch. Each test
publishes provider versions of its own; only ``test_contract_check_follows_the_main_branch``
publishes on ``main``, so it alone decides which contract the consumer's pact is checked against.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest

from contract_terms import BILLING_SERVICE, EXISTING_USER_ID, USER_EXISTS, USER_SERVICE
from tasks.embedded import embedded_broker
from tasks.provider_contracts import DOCUMENT, SELF_VERIFICATION

if TYPE_CHECKING:
    from .conftest import Ran

PactCli = Callable[..., subprocess.CompletedProcess[str]]
MAIN = "main"
INCOMPATIBLE = (
    'fails billing-service\'s "a request for user 123": body $.name — name is not in the '
    "response schema of GET /users/{user_id} [response.body.incompatible]"
)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An embedded broker where ``main`` is user-service's main branch."""
    with embedded_broker(tmp_path_factory.mktemp("broker")) as url:
        yield url


@pytest.fixture(autouse=True)
def main_branch(broker: str, pact_cli: PactCli) -> None:
    named = pact_cli(
        broker, "create-or-update-pacticipant", "--name", USER_SERVICE, "--main-branch", MAIN
    )
    assert named.returncode == 0, named.stdout + named.stderr


@pytest.fixture
def user_pact(tmp_path: Path) -> Path:
    """A folder with billing-service's pact for user 123, which reads ``name``."""
    folder = tmp_path / "pacts"
    folder.mkdir()
    user = {"id": EXISTING_USER_ID, "name": "Ada Lovelace", "email": "ada@example.com"}
    pact = {
        "consumer": {"name": BILLING_SERVICE},
        "provider": {"name": USER_SERVICE},
        "interactions": [
            {
                "description": "a request for user 123",
                "providerStates": [{"name": USER_EXISTS, "params": {"id": EXISTING_USER_ID}}],
                "request": {"method": "GET", "path": f"/users/{EXISTING_USER_ID}"},
                "response": {
                    "status": 200,
                    "headers": {"Content-Type": "application/json"},
                    "body": user,
                },
            }
        ],
        "metadata": {"pactSpecification": {"version": "3.0.0"}},
    }
    (folder / f"{BILLING_SERVICE}-{USER_SERVICE}.json").write_text(json.dumps(pact))
    return folder


def provider_contract(broker: str, version: str) -> dict[str, Any]:
    """The broker's provider-contract resource for a user-service version."""
    url = f"{broker}/provider-contracts/provider/{USER_SERVICE}/version/{quote(version, safe='')}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as response:
        found: dict[str, Any] = json.loads(response.read())
        return found


def env_for(broker: str, version: str, branch: str, **extra: str) -> dict[str, str]:
    return {
        "PACT_BROKER_BASE_URL": broker,
        "PACT_BROKER_HTTP_RETRIES": "1",
        "GIT_COMMIT": version,
        "GIT_BRANCH": branch,
        **extra,
    }


def test_provider_contract_publishes_the_document_and_its_self_verification(
    broker: str, invoke: Callable[..., Ran]
) -> None:
    ran = invoke("provider-contract", env=env_for(broker, "pc0publish", "feat/contract"))

    assert ran.exited == 0, ran.output
    assert "Provider contract for version pc0publish of user-service published" in ran.stdout
    assert "self-verification (pytest " in ran.stdout
    stored = provider_contract(broker, "pc0publish")
    assert stored["content"] == DOCUMENT.read_text()
    assert stored["contentType"] == "application/json"
    assert stored["specification"] == "oas"
    document = json.loads(stored["content"])
    assert document["components"]["schemas"]["User"]["additionalProperties"] is False
    verification = stored["selfVerificationResults"]
    assert verification["success"] is True
    assert verification["verifier"] == "pytest"
    assert verification["content"] == SELF_VERIFICATION.read_text()
    assert " passed in " in verification["content"]


def test_a_failing_self_verification_is_published_as_failing(
    broker: str, invoke: Callable[..., Ran]
) -> None:
    # pytest's own variable: select no test, and pytest exits 5 (a failed self-verification).
    env = env_for(broker, "pc0failing", "feat/failing", PYTEST_ADDOPTS="-k no_such_test")

    ran = invoke("provider-contract", env=env)

    assert ran.exited == 5, ran.output
    assert "self-verification (pytest 9" in ran.stdout
    assert ran.stderr.strip().splitlines()[-1] == (
        "provider-contract: the self-verification failed (pytest exit status 5); the contract "
        "is published as failing, so it verifies no pact: see "
        ".artifacts/provider-contract/self-verification.txt"
    )
    assert provider_contract(broker, "pc0failing")["selfVerificationResults"]["success"] is False


def test_contract_check_follows_the_main_branch(
    broker: str, invoke: Callable[..., Ran], user_pact: Path
) -> None:
    check = ("contract-check", "--pact-dir", str(user_pact))
    consumer = env_for(broker, "c0nsumer", "feat/invoices")

    # Nothing published on main yet: nothing to check against, and that passes.
    nothing = invoke(*check, env=consumer)
    assert nothing.exited == 0, nothing.output
    assert "contract-check: passed: no provider contract in use to check against" in nothing.stdout

    published = invoke("provider-contract", env=env_for(broker, "pc0main1", MAIN))
    assert published.exited == 0, published.output
    compatible = invoke(*check, env=consumer)
    assert compatible.exited == 0, compatible.output
    assert (
        f"{BILLING_SERVICE}-{USER_SERVICE}.json → user-service pc0main1 "
        f"(head of main branch {MAIN}): compatible"
    ) in compatible.stdout
    assert "contract-check: passed: compatible with 1 provider contract(s)" in compatible.stdout

    # The provider's next main-branch build renames `name`: the same pact now fails, by name.
    renamed = invoke(
        "provider-contract", "--variant", "username", env=env_for(broker, "pc0main2", MAIN)
    )
    assert renamed.exited == 0, renamed.output
    broken = invoke(*check, env=consumer)
    assert broken.exited == 1, broken.output
    assert f"user-service pc0main2 (head of main branch {MAIN}): NOT compatible" in broken.stdout
    assert f"    user-service pc0main2 {INCOMPATIBLE}" in broken.stdout
    assert broken.stderr.strip() == f"contract-check failed: user-service pc0main2 {INCOMPATIBLE}"


def test_contract_check_says_what_the_broker_rejected(
    broker: str, invoke: Callable[..., Ran], tmp_path: Path
) -> None:
    (tmp_path / "not-a-pact.json").write_text(json.dumps({"provider": {"name": USER_SERVICE}}))

    ran = invoke("contract-check", "--pact-dir", str(tmp_path), env=env_for(broker, "c1", MAIN))

    assert ran.exited == 1
    assert ran.output == (
        "contract-check failed: the broker rejected not-a-pact.json: pact: must be a pact: an "
        "object with a list of interactions"
    )
