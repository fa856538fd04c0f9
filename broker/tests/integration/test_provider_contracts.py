"""Bi-directional contract testing through the official CLI: ``pact pactflow
publish-provider-contract`` publishes an OpenAPI document, the broker compares the consumer's
pact with it, and ``pact broker can-i-deploy`` decides from that comparison — both ways."""

from __future__ import annotations

import base64
import copy
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from contract_broker.db import Database
from contract_broker.services import verifications
from contract_broker.services.provider_contracts import publishing
from contract_broker.services.provider_contracts.recording import COMPARED_AT_MOST
from contract_broker.settings import Settings
from tests.support import http_client as http
from tests.support.cli import PactCli
from tests.support.server import LiveBroker
from tests.support.waves import WAVE, publish, released_together

CONSUMER = "billing-service"
PROVIDER = "user-service"
CORPUS = Path(__file__).parents[1] / "data" / "provider_contracts"
DOCUMENTS = CORPUS / "documents"
YES = "Computer says yes"
FAILING_LINE = f'{PROVIDER} 2.0.0 fails {CONSUMER}\'s "a request for user 123": body $.name — '


class Bdct:
    """The consumer's pact and the provider's contract, published and judged with the CLI."""

    def __init__(self, broker: LiveBroker, pact: PactCli, pact_file: Path, tmp: Path) -> None:
        self.broker, self.pact, self.pact_file, self.tmp = broker, pact, pact_file, tmp
        self.http = httpx2.Client(base_url=broker.url, timeout=30)
        self.results = tmp / "self-verification.txt"
        self.results.write_text("12 passed in 0.4s\n")

    def publish_pact(self, version: str = "1.0.0") -> None:
        self.pact.ok(
            "publish", str(self.pact_file), "--consumer-app-version", version, "--branch", "main"
        )

    def publish_contract(
        self,
        document: str,
        version: str = "2.0.0",
        *,
        success: bool = True,
        results: bool = True,
        content_type: str | None = None,
    ) -> tuple[int, str]:
        args = [
            str(DOCUMENTS / document),
            "--provider", PROVIDER,
            "--provider-app-version", version,
            "--branch", "main",
            "--verification-success" if success else "--no-verification-success",
        ]  # fmt: skip
        if results:
            args += ["--verification-results", str(self.results), "--verifier", "pytest"]
        if content_type:
            args += ["--content-type", content_type]
        done = self.pact.pactflow("publish-provider-contract", *args)
        return done.returncode, done.stdout + done.stderr

    def can_i_deploy(self, *args: str) -> tuple[bool, str]:
        done = self.pact("can-i-deploy", *args)
        output = done.stdout + done.stderr
        assert (YES in output) == (done.returncode == 0), output
        return done.returncode == 0, output

    def provider_pair(self, version: str = "2.0.0") -> tuple[bool, str]:
        return self.can_i_deploy("-a", CONSUMER, "-e", "1.0.0", "-a", PROVIDER, "-e", version)


@pytest.fixture
def bdct(broker: LiveBroker, pact: PactCli, pact_file: Path, tmp_path: Path) -> Iterator[Bdct]:
    steps = Bdct(broker, pact, pact_file, tmp_path)
    yield steps
    steps.http.close()


@pytest.mark.parametrize(
    ("document", "content_type"),
    [
        ("compatible.yaml", None),
        ("compatible.json", "application/json"),
        ("compatible.json", None),  # the CLI's default type: YAML, which JSON also is
        ("compatible-3.1.yaml", None),
        ("additive.yaml", None),
        ("recursive-refs.yaml", None),
        ("all-of.yaml", None),
        ("default-status.yaml", None),  # 404 only under `default`: a warning, not an error
    ],
)
def test_a_compatible_contract_lets_both_deploy(
    bdct: Bdct, document: str, content_type: str | None
) -> None:
    bdct.publish_pact()
    code, output = bdct.publish_contract(document, content_type=content_type)

    assert code == 0, output
    assert f"Compatible with the pact of {CONSUMER}" in output
    allowed, answer = bdct.provider_pair()
    assert allowed, answer


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("renamed-field.yaml", "name"),
        ("changed-type.yaml", "$.id"),
        ("changed-type-3.1.yaml", "$.name"),
        ("undocumented-status.yaml", "[response.status.unknown]"),
        ("removed-endpoint.yaml", "[request.path-or-method.unknown]"),
        ("method-removed.yaml", "[request.path-or-method.unknown]"),
        ("path-parameter-uuid.yaml", "[request.path-or-method.unknown]"),
        ("secured.yaml", "[request.authorization.missing]"),
        ("text-response.yaml", "[response.content-type.incompatible]"),
        ("required-query-and-header.yaml", "[request.header.incompatible]"),
        ("renamed-field-open.yaml", "$.name"),
        ("all-of-renamed-field.yaml", "$.name"),
    ],
)
def test_an_incompatible_contract_is_refused_naming_the_interaction_and_field(
    bdct: Bdct, document: str, reason: str
) -> None:
    bdct.publish_pact()
    code, output = bdct.publish_contract(document)

    assert code == 0, output  # published: the verdict is can-i-deploy's
    assert f"Not compatible with the pact of {CONSUMER}" in output
    allowed, answer = bdct.provider_pair()
    assert not allowed
    assert f"{PROVIDER} 2.0.0 fails {CONSUMER}'s" in answer
    assert reason in answer


def test_the_renamed_field_refusal_names_field_and_operation(bdct: Bdct) -> None:
    bdct.publish_pact()
    bdct.publish_contract("renamed-field.yaml")
    allowed, answer = bdct.provider_pair()
    assert not allowed
    assert FAILING_LINE in answer
    assert (
        "name is not in the response schema of GET /users/{id} [response.body.incompatible]"
        in answer
    )


def test_a_pact_published_after_the_contract_is_compared_too(bdct: Bdct) -> None:
    bdct.publish_contract("renamed-field.yaml")
    published = bdct.pact(
        "publish", str(bdct.pact_file), "--consumer-app-version", "1.0.0", "--branch", "main"
    )
    assert published.returncode == 0
    assert f"Not compatible with the provider contract of {PROVIDER} 2.0.0" in published.stdout
    allowed, answer = bdct.provider_pair()
    assert not allowed
    assert FAILING_LINE in answer


@pytest.mark.parametrize(("success", "results"), [(False, True), (True, False)])
def test_without_a_passing_self_verification_nothing_passes(
    bdct: Bdct, success: bool, results: bool
) -> None:
    bdct.publish_pact()
    code, output = bdct.publish_contract("compatible.yaml", success=success, results=results)
    assert code == 0, output
    allowed, answer = bdct.provider_pair()
    assert not allowed
    assert "self-verification" in answer


def test_a_contract_never_changes(bdct: Bdct) -> None:
    bdct.publish_pact()
    assert bdct.publish_contract("compatible.yaml")[0] == 0
    code, output = bdct.publish_contract("compatible.yaml")
    assert code == 0, output  # the same document again: unchanged
    assert "was already published (unchanged)" in output
    code, output = bdct.publish_contract("renamed-field.yaml")
    assert code != 0
    assert "Cannot change the provider contract of version 2.0.0" in output
    body = bdct.http.get(f"/provider-contracts/provider/{PROVIDER}/version/2.0.0").json()
    assert body["content"] == (DOCUMENTS / "compatible.yaml").read_text()
    assert [c["success"] for c in body["comparisons"]] == [True]


def test_an_invalid_document_is_refused_and_changes_nothing(bdct: Bdct) -> None:
    code, output = bdct.publish_contract("../invalid/unparsable.yaml")
    assert code != 0
    assert "contract.content" in output
    assert bdct.http.get(f"/pacticipants/{PROVIDER}").status_code == 404


def test_a_replay_is_the_verdict_of_its_pair(bdct: Bdct) -> None:
    """A pair the provider verified by replaying the pact is not compared: the replay says."""
    bdct.publish_pact()
    pact = bdct.http.get(f"/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/version/1.0.0").json()
    href = pact["_links"]["pb:publish-verification-results"]["href"]
    body = {"success": True, "providerApplicationVersion": "2.0.0"}
    assert bdct.http.post(href, json=body).status_code == 201
    bdct.publish_contract("renamed-field.yaml")
    allowed, answer = bdct.provider_pair()
    assert allowed, answer


BAD_BODIES: list[Any] = [
    {},
    {"pacticipantVersionNumber": "1", "contract": "x"},
    {"pacticipantVersionNumber": "1", "contract": {"content": "!!!", "specification": "oas"}},
    {"pacticipantVersionNumber": "1", "contract": {"content": "e30=", "specification": "wsdl"}},
    {"pacticipantVersionNumber": "1", "contract": {"content": "e30=", "contentType": "text/x"}},
    {"pacticipantVersionNumber": "1", "contract": {"content": "e30="}},
    {
        "pacticipantVersionNumber": "1",
        "tags": ["a", 3],
        "buildUrl": "nope",
        "contract": {"content": "e30=", "selfVerificationResults": {"success": "yes"}},
    },
    {"pacticipantVersionNumber": "\x00", "branch": "\r\n", "contract": {"content": "e30="}},
    [],
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_bad_requests_get_a_400_naming_the_field_and_store_nothing(bdct: Bdct, body: Any) -> None:
    response = bdct.http.post(f"/provider-contracts/provider/{PROVIDER}/publish", json=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/hal+json")
    assert response.json().get("errors") or response.json().get("error")
    assert bdct.http.get(f"/pacticipants/{PROVIDER}").status_code == 404


def test_the_index_advertises_the_relation_and_the_resource_reads_back(bdct: Bdct) -> None:
    index = bdct.http.get("/").json()
    assert index["_links"]["pf:publish-provider-contract"]["href"].endswith(
        "/provider-contracts/provider/{provider}/publish"
    )
    bdct.publish_pact()
    document = (DOCUMENTS / "compatible.yaml").read_bytes()
    response = bdct.http.post(
        f"/provider-contracts/provider/{PROVIDER}/publish",
        json={
            "pacticipantVersionNumber": "2.0.0",
            "tags": ["prod"],
            "contract": {
                "content": base64.b64encode(document).decode(),
                "contentType": "application/yaml",
                "specification": "oas",
                "selfVerificationResults": {"success": True, "verifier": "pytest"},
            },
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["_embedded"]["version"]["number"] == "2.0.0"
    assert [t["name"] for t in body["_links"]["pb:pacticipant-version-tags"]] == ["prod"]
    resource = bdct.http.get(body["_links"]["pf:provider-contract"]["href"]).json()
    assert resource["selfVerificationResults"] == {"success": True, "verifier": "pytest"}
    (comparison,) = resource["comparisons"]
    assert comparison["consumer"]["name"] == CONSUMER
    verification = bdct.http.get(comparison["_links"]["pb:verification-result"]["href"])
    assert verification.status_code == 200
    result = json.loads(verification.text)
    assert (result["success"], result["verificationType"]) == (True, "BDCT")
    assert (
        result["_links"]["pf:provider-contract"]["href"]
        == body["_links"]["pf:provider-contract"]["href"]
    )


def test_the_refusal_says_it_was_the_comparison_and_the_table_says_bdct(bdct: Bdct) -> None:
    bdct.publish_pact()
    bdct.publish_contract("renamed-field.yaml")
    allowed, answer = bdct.provider_pair()
    assert not allowed
    assert (
        f"The cross contract verification between the pact for version 1.0.0 of {CONSUMER} "
        f"and the provider contract (OpenAPI) for version 2.0.0 of {PROVIDER} failed"
    ) in answer
    assert "VERIFICATION TYPE" in answer
    assert "BDCT" in answer


def test_both_ways_through_an_environment(bdct: Bdct, pact: PactCli) -> None:
    """The consumer asks about the provider version in production, the provider about the
    consumer version there: each answer comes from the stored comparison."""
    pact.ok("create-environment", "--name", "production", "--production")
    bdct.publish_pact()
    bdct.publish_contract("compatible.yaml", "2.0.0")
    bdct.publish_contract("renamed-field.yaml", "3.0.0")
    pact.ok("record-deployment", "-a", CONSUMER, "-e", "1.0.0", "--environment", "production")
    pact.ok("record-deployment", "-a", PROVIDER, "-e", "2.0.0", "--environment", "production")

    to_production = ("--to-environment", "production")
    assert bdct.can_i_deploy("-a", CONSUMER, "-e", "1.0.0", *to_production)[0]
    assert bdct.can_i_deploy("-a", PROVIDER, "-e", "2.0.0", *to_production)[0]
    allowed, answer = bdct.can_i_deploy("-a", PROVIDER, "-e", "3.0.0", *to_production)
    assert not allowed
    assert f'{PROVIDER} 3.0.0 fails {CONSUMER}\'s "a request for user 123"' in answer


def test_a_comparison_does_not_end_a_pacts_pending_status(bdct: Bdct) -> None:
    """Pending protects a provider's replay from new expectations: only a replay ends it."""
    bdct.publish_pact()
    bdct.publish_contract("compatible.yaml")
    response = bdct.http.post(
        f"/pacts/provider/{PROVIDER}/for-verification",
        json={
            "consumerVersionSelectors": [{"mainBranch": True}],
            "includePendingStatus": True,
            "providerVersionBranch": "main",
        },
    )
    (entry,) = response.json()["_embedded"]["pacts"]
    assert entry["verificationProperties"]["pending"] is True


def check(bdct: Bdct, pact: Any) -> httpx2.Response:
    return bdct.http.post(f"/provider-contracts/provider/{PROVIDER}/check", json=pact)


def test_a_pact_is_checked_against_the_contracts_in_use_before_it_is_published(
    bdct: Bdct, pact: PactCli
) -> None:
    pact_content = json.loads(bdct.pact_file.read_text())
    none_yet = check(bdct, pact_content)
    assert none_yet.status_code == 200, none_yet.text
    assert none_yet.json()["success"] is True
    assert "nothing to check against" in none_yet.json()["notices"][0]["text"]

    pact.ok("create-environment", "--name", "production", "--production")
    bdct.publish_contract("compatible.yaml", "2.0.0")  # main branch head, then deployed
    pact.ok("record-deployment", "-a", PROVIDER, "-e", "2.0.0", "--environment", "production")
    bdct.publish_contract("renamed-field.yaml", "3.0.0")  # the new main branch head
    body = check(bdct, pact_content).json()

    assert body["success"] is False
    by_version = {c["providerVersion"]["number"]: c for c in body["contracts"]}
    assert by_version["2.0.0"]["why"] == ["deployed to production"]
    assert by_version["2.0.0"]["success"] is True
    assert by_version["3.0.0"]["why"] == ["head of main branch main"]
    assert by_version["3.0.0"]["success"] is False
    failing = f'{PROVIDER} 3.0.0 fails {CONSUMER}\'s "a request for user 123": body $.name'
    assert any(line.startswith(failing) for line in by_version["3.0.0"]["lines"])
    # Nothing was stored: the pact was never published.
    assert bdct.http.get(f"/pacticipants/{CONSUMER}").status_code == 404


@pytest.mark.parametrize("body", [[], {"interactions": "x"}, "pact", None])
def test_checking_something_that_is_no_pact_is_a_400(bdct: Bdct, body: Any) -> None:
    response = check(bdct, body)
    assert response.status_code == 400, response.text


def test_checking_needs_only_read_credentials(make_broker: Any, pact_file: Path) -> None:
    broker = make_broker(
        basic_auth_username="writer",
        basic_auth_password="w-secret",
        basic_auth_read_only_username="reader",
        basic_auth_read_only_password="r-secret",
    )
    content = json.loads(pact_file.read_text())
    url = f"{broker.url}/provider-contracts/provider/{PROVIDER}/check"
    assert httpx2.post(url, json=content, auth=("reader", "r-secret")).status_code == 200
    assert httpx2.post(url, json=content).status_code == 401
    publish = f"{broker.url}/provider-contracts/provider/{PROVIDER}/publish"
    assert httpx2.post(publish, json={}, auth=("reader", "r-secret")).status_code == 403


def contract_body(document: str, version: str = "2.0.0") -> dict[str, Any]:
    return {
        "pacticipantVersionNumber": version,
        "branch": "main",
        "contract": {
            "content": base64.b64encode((DOCUMENTS / document).read_bytes()).decode(),
            "contentType": "application/yaml",
            "specification": "oas",
            "selfVerificationResults": {"success": True, "verifier": "pytest"},
        },
    }


def test_racing_publishes_of_one_version_store_one_contract(broker: LiveBroker) -> None:
    """A wave of the same document and a wave of two documents for one version: the first
    all succeed with one row; of the second, the documents that lost get a 409, never a 500."""
    url = f"{broker.url}/provider-contracts/provider/{PROVIDER}/publish"
    same = released_together(WAVE, lambda _: http.post(url, json=contract_body("compatible.yaml")))
    assert [r.status_code for r in same] == [200] * WAVE
    assert sum("published" in r.text and "unchanged" not in r.text for r in same) == 1

    documents = ("additive.yaml", "renamed-field.yaml")
    mixed = released_together(
        WAVE, lambda i: http.post(url, json=contract_body(documents[i % 2], "3.0.0"))
    )
    codes = [r.status_code for r in mixed]
    assert set(codes) == {200, 409}, codes
    stored = http.get(f"{broker.url}/provider-contracts/provider/{PROVIDER}/version/3.0.0").json()
    winner = documents.index(
        next(d for d in documents if (DOCUMENTS / d).read_text() == stored["content"])
    )
    assert [c == 200 for c in codes] == [i % 2 == winner for i in range(WAVE)]


@pytest.mark.parametrize("new_provider", [False, True])
def test_racing_pact_and_contract_publishes_compare_each_pair_once(
    broker: LiveBroker, pact_file: Path, new_provider: bool
) -> None:
    """A pact and a contract published at the same moment, round after round: each new pair
    is compared, exactly once, by whichever request came second (neither misses the other) —
    also when the provider is new and both requests create it."""
    content = json.loads(pact_file.read_text())
    for round_ in range(ROUNDS * (3 if new_provider else 1)):
        provider = f"{PROVIDER}-{round_}" if new_provider else PROVIDER
        changed = copy.deepcopy(content)
        changed["provider"] = {"name": provider}
        changed["interactions"][0]["description"] += f" (round {round_})"
        consumer_version, provider_version = f"1.{round_}.0", f"2.{round_}.0"
        contracts = f"{broker.url}/provider-contracts/provider/{provider}"

        def request(
            i: int, version: str = provider_version, number: str = consumer_version,
            pact: Any = changed, url: str = contracts,
        ) -> Any:  # fmt: skip
            if i == 0:
                return http.post(
                    f"{url}/publish", json=contract_body("renamed-field.yaml", version)
                )
            return publish(broker.url, pact, number, branch="main")

        responses = released_together(2, request)
        assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
        sha = http.get(
            f"{broker.url}/pacts/provider/{provider}/consumer/{CONSUMER}/version/{consumer_version}"
        ).json()["_links"]["pb:pact-version"]["name"]
        resource = http.get(f"{contracts}/version/{provider_version}")
        compared = [c["pactVersionSha"] for c in resource.json()["comparisons"]]
        assert compared.count(sha) == 1, (round_, sha, compared)


ROUNDS = 12


def test_a_new_required_request_field_breaks_a_consumer_that_does_not_send_it(
    bdct: Bdct, pact: PactCli
) -> None:
    create_user = CORPUS / "pacts" / "create-user-v3.json"
    pact.ok("publish", str(create_user), "--consumer-app-version", "1.0.0", "--branch", "main")
    assert bdct.publish_contract("compatible.yaml", "2.0.0")[0] == 0
    assert bdct.publish_contract("new-required-request-field.yaml", "3.0.0")[0] == 0

    assert bdct.provider_pair("2.0.0")[0]
    allowed, answer = bdct.provider_pair("3.0.0")
    assert not allowed
    assert f'{PROVIDER} 3.0.0 fails {CONSUMER}\'s "a request to create a user"' in answer
    assert "[request.body.incompatible]" in answer
    assert "role" in answer


def test_a_replay_recorded_while_a_contract_is_published_still_decides(
    broker: LiveBroker, pact_file: Path, database_url: str
) -> None:
    """A failing replay is being recorded (not committed yet) when the same provider version
    publishes a compatible contract: the comparison waits for the replay's lock, then sees
    the replay and records nothing, so can-i-deploy reads the failed replay — never a 'yes'."""
    if not database_url.startswith("postgresql"):
        pytest.skip("on SQLite a write transaction waits for the other to commit first")
    publish(broker.url, json.loads(pact_file.read_text()), "1.0.0", branch="main")
    http.put(f"{broker.url}/pacticipants/{PROVIDER}/versions/9.0.0", json={})
    database = Database(database_url)
    settings = Settings(_env_file=None, database_url=database_url)
    request = publishing.parse_contract_request(contract_body("compatible.yaml", "9.0.0"))
    sha = matrix_sha(broker)
    finished: list[Any] = []

    def publish_contract() -> None:
        with database.session() as session:
            result = publishing.publish_provider_contract(session, settings, PROVIDER, request)
            finished.append(result.compared)

    try:
        with database.session() as session:
            verifications.publish_verification(
                session,
                settings,
                provider_name=PROVIDER,
                consumer_name=CONSUMER,
                sha=sha,
                body={"success": False, "providerApplicationVersion": "9.0.0"},
                metadata=None,
                base_url=broker.url,
            )
            racing = threading.Thread(target=publish_contract)
            racing.start()
            racing.join(timeout=1.5)
            assert racing.is_alive()  # waiting for the replay's lock on the pact version
        racing.join(timeout=30)
    finally:
        database.dispose()
    assert finished == [[]]  # nothing compared: the replay decides its pair
    matrix = http.get(
        f"{broker.url}/matrix?q[][pacticipant]={CONSUMER}&q[][version]=1.0.0"
        f"&q[][pacticipant]={PROVIDER}&q[][version]=9.0.0&latestby=cvpv"
    ).json()
    assert matrix["summary"]["deployable"] is False
    assert [row["verificationResult"]["success"] for row in matrix["matrix"]] == [False]


def matrix_sha(broker: LiveBroker) -> str:
    pact = http.get(f"{broker.url}/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/version/1.0.0")
    return str(pact.json()["_links"]["pb:pact-version"]["name"])


def test_deployed_pacts_are_compared_however_many_branches_are_newer(
    broker: LiveBroker, pact: PactCli, pact_file: Path
) -> None:
    """The comparison limit cuts the other branch heads, never what is deployed (or a main
    branch head): a deployed consumer's pact older than COMPARED_AT_MOST feature branches is
    still compared with a new contract."""
    content = json.loads(pact_file.read_text())
    pact.ok("create-environment", "--name", "production", "--production")
    publish(broker.url, content, "1.0.0", branch="main")
    pact.ok("record-deployment", "-a", CONSUMER, "-e", "1.0.0", "--environment", "production")
    for n in range(COMPARED_AT_MOST + 5):
        changed = copy.deepcopy(content)
        changed["interactions"][0]["description"] += f" (feature {n})"
        assert publish(broker.url, changed, f"2.{n}.0", branch=f"feature-{n}").status_code == 200
    response = http.post(
        f"{broker.url}/provider-contracts/provider/{PROVIDER}/publish",
        json=contract_body("compatible.yaml", "3.0.0"),
    )
    assert response.status_code == 200, response.text
    pair = http.get(
        f"{broker.url}/can-i-deploy?pacticipant={PROVIDER}&version=3.0.0&environment=production"
    ).json()
    assert pair["summary"]["deployable"] is True, pair["summary"]
