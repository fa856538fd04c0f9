"""can-i-deploy through the official CLI, and ``/matrix`` / ``/can-i-deploy`` over HTTP."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import event, text

from contract_broker.db import Database
from contract_broker.errors import InvalidQuery
from contract_broker.repositories import matrix as matrix_repo
from contract_broker.services import matrix as matrix_service
from tests.support.cli import PactCli
from tests.support.server import LiveBroker

CONSUMER = "billing-service"
PROVIDER = "user-service"
PRODUCTION = "production"

YES = "Computer says yes"
NO = "Computer says no"
ALL_GOOD = "All required verification results are published and successful"
NO_PROVIDER_IN_PRODUCTION = (
    f"There is no verified pact between version 1.0.0 of {CONSUMER} and a version of "
    f"{PROVIDER} currently in production (no version is currently recorded as "
    "deployed/released in this environment)"
)


class Broker:
    """Pipeline steps against a live broker: the CLI, and HTTP where the CLI has no command."""

    def __init__(self, broker: LiveBroker, pact: PactCli, pact_file: Path, scratch: Path) -> None:
        self.url = broker.url
        self.pact = pact
        self.pact_file = pact_file
        self.scratch = scratch
        self.http = httpx2.Client(base_url=broker.url, timeout=30)

    def run(self, command: str, *args: str) -> subprocess.CompletedProcess[str]:
        result = self.pact(command, *args)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def publish(
        self, version: str = "1.0.0", branch: str = "main", *, changed: bool = False
    ) -> None:
        """Publish the pact (``changed``: with new content, which no verification covers yet)."""
        path = self.pact_file
        if changed:
            content = json.loads(path.read_text())
            content["interactions"][0]["description"] += f" (as of {version})"
            path = self.scratch / f"changed-{version}.json"
            path.write_text(json.dumps(content))
        self.run("publish", str(path), "--consumer-app-version", version, "--branch", branch)

    def environment(self, name: str = PRODUCTION) -> None:
        self.run("create-environment", "--name", name, "--production")

    def verify(
        self,
        provider_version: str,
        *,
        success: bool,
        consumer_version: str = "1.0.0",
        test_results: Any = None,
    ) -> None:
        pact_url = f"/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/version/{consumer_version}"
        pact = self.http.get(pact_url).json()
        href = pact["_links"]["pb:publish-verification-results"]["href"]
        body = {"success": success, "providerApplicationVersion": provider_version}
        if test_results is not None:
            body["testResults"] = test_results
        assert self.http.post(href, json=body).status_code == 201

    def version(self, pacticipant: str, number: str) -> None:
        self.run("create-or-update-version", "--pacticipant", pacticipant, "--version", number)

    def deploy(self, pacticipant: str, number: str, environment: str = PRODUCTION) -> None:
        self.run(
            "record-deployment",
            "--pacticipant", pacticipant,
            "--version", number,
            "--environment", environment,
        )  # fmt: skip

    def release(self, pacticipant: str, number: str, environment: str = PRODUCTION) -> None:
        self.run(
            "record-release",
            "--pacticipant", pacticipant,
            "--version", number,
            "--environment", environment,
        )  # fmt: skip

    def can_i_deploy(self, *args: str) -> tuple[bool, str]:
        """(allowed, everything the CLI printed)."""
        result = self.pact("can-i-deploy", *args)
        output = result.stdout + result.stderr
        allowed = result.returncode == 0
        assert (YES in output) == allowed, output
        return allowed, output

    def matrix(self, query: str) -> dict[str, Any]:
        response = self.http.get(f"/matrix?{query}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def pipeline(
    broker: LiveBroker, pact: PactCli, pact_file: Path, tmp_path: Path
) -> Iterator[Broker]:
    steps = Broker(broker, pact, pact_file, tmp_path)
    yield steps
    steps.http.close()


def consumer_to_production(pipeline: Broker, version: str = "1.0.0") -> tuple[bool, str]:
    return pipeline.can_i_deploy("-a", CONSUMER, "-e", version, "--to-environment", PRODUCTION)


def provider_to_production(pipeline: Broker, version: str) -> tuple[bool, str]:
    return pipeline.can_i_deploy("-a", PROVIDER, "-e", version, "--to-environment", PRODUCTION)


# ---------------------------------------------------------------- consumer side


def test_consumer_waits_for_a_verified_provider_in_the_environment(pipeline: Broker) -> None:
    pipeline.publish()
    pipeline.environment()
    allowed, output = consumer_to_production(pipeline)
    assert not allowed
    assert NO_PROVIDER_IN_PRODUCTION in output

    pipeline.verify("2.0.0", success=True)
    allowed, output = consumer_to_production(pipeline)
    assert not allowed, "verified, but by a version that is not in production"
    assert NO_PROVIDER_IN_PRODUCTION in output

    pipeline.deploy(PROVIDER, "2.0.0")
    allowed, output = consumer_to_production(pipeline)
    assert allowed
    assert ALL_GOOD in output

    pipeline.verify("2.1.0", success=False)
    pipeline.deploy(PROVIDER, "2.1.0")
    allowed, output = consumer_to_production(pipeline)
    assert not allowed
    assert (
        f"The verification for the pact between version 1.0.0 of {CONSUMER} and the version "
        f"of {PROVIDER} currently in production (2.1.0) failed"
    ) in output


def test_consumer_refused_when_the_deployed_provider_never_verified(pipeline: Broker) -> None:
    pipeline.publish()
    pipeline.environment()
    pipeline.verify("2.0.0", success=True)
    pipeline.version(PROVIDER, "3.0.0")
    pipeline.deploy(PROVIDER, "3.0.0")
    allowed, output = consumer_to_production(pipeline)
    assert not allowed
    assert (
        f"There is no verified pact between version 1.0.0 of {CONSUMER} and the version of "
        f"{PROVIDER} currently in production (3.0.0)"
    ) in output


def test_a_released_provider_counts_as_in_the_environment(pipeline: Broker) -> None:
    pipeline.publish()
    pipeline.environment()
    pipeline.verify("2.0.0", success=True)
    pipeline.release(PROVIDER, "2.0.0")
    assert consumer_to_production(pipeline)[0]


def test_every_provider_version_in_the_environment_must_have_verified(pipeline: Broker) -> None:
    pipeline.publish()
    pipeline.environment()
    pipeline.verify("2.0.0", success=True)
    pipeline.verify("2.1.0", success=False)
    pipeline.release(PROVIDER, "2.0.0")
    pipeline.release(PROVIDER, "2.1.0")
    allowed, output = consumer_to_production(pipeline)
    assert not allowed
    assert (
        f"The verification for the pact between version 1.0.0 of {CONSUMER} and one of the "
        f"versions of {PROVIDER} currently in production (2.1.0) failed"
    ) in output


def test_an_unknown_version_cannot_be_deployed(pipeline: Broker) -> None:
    pipeline.publish()
    pipeline.environment()
    allowed, output = consumer_to_production(pipeline, "9.9.9")
    assert not allowed
    assert f"No pacts or verifications have been published for version 9.9.9 of {CONSUMER}" in (
        output
    )


def test_an_unknown_environment_is_reported(pipeline: Broker) -> None:
    pipeline.publish()
    result = pipeline.pact(
        "can-i-deploy", "-a", CONSUMER, "-e", "1.0.0", "--to-environment", "nowhere"
    )
    assert result.returncode != 0
    assert "Environment with name 'nowhere' does not exist" in result.stdout + result.stderr


# ---------------------------------------------------------------- provider side


def test_provider_may_not_break_the_consumer_in_the_environment(pipeline: Broker) -> None:
    pipeline.publish()
    pipeline.environment()
    pipeline.version(PROVIDER, "2.0.0")
    allowed, output = provider_to_production(pipeline, "2.0.0")
    assert allowed, "no consumer is deployed: nothing to break"
    assert "There are no missing dependencies" in output

    pipeline.deploy(CONSUMER, "1.0.0")
    allowed, output = provider_to_production(pipeline, "2.0.0")
    assert not allowed
    assert (
        f"There is no verified pact between the version of {CONSUMER} currently in production "
        f"(1.0.0) and version 2.0.0 of {PROVIDER}"
    ) in output

    pipeline.verify("2.0.0", success=True)
    allowed, output = provider_to_production(pipeline, "2.0.0")
    assert allowed
    assert ALL_GOOD in output

    pipeline.verify("2.1.0", success=False)
    allowed, output = provider_to_production(pipeline, "2.1.0")
    assert not allowed
    assert (
        f"The verification for the pact between the version of {CONSUMER} currently in "
        f"production (1.0.0) and version 2.1.0 of {PROVIDER} failed"
    ) in output


# ---------------------------------------------------------------- options


def test_ignore_lets_an_unverified_provider_through(pipeline: Broker) -> None:
    pipeline.publish()
    pipeline.environment()
    assert not consumer_to_production(pipeline)[0]
    allowed, _ = pipeline.can_i_deploy(
        "-a", CONSUMER, "-e", "1.0.0", "--to-environment", PRODUCTION, "--ignore", PROVIDER
    )
    assert allowed

    body = pipeline.matrix(
        f"q[][pacticipant]={CONSUMER}&q[][version]=1.0.0&ignore[][pacticipant]={PROVIDER}"
        f"&latestby=cvpv&environment={PRODUCTION}"
    )
    assert body["summary"] == {
        "deployable": True,
        "reason": "There are no missing dependencies",
        "success": 0,
        "failed": 0,
        "unknown": 0,
        "ignored": 1,
    }
    assert [row["ignored"] for row in body["matrix"]] == [True]


def test_ignoring_something_that_does_not_exist_is_a_warning(pipeline: Broker) -> None:
    pipeline.publish()
    pipeline.environment()
    allowed, output = pipeline.can_i_deploy(
        "-a", CONSUMER, "-e", "1.0.0", "--to-environment", PRODUCTION, "--ignore", "nobody"
    )
    assert not allowed
    assert "WARN: Cannot ignore any version of nobody (no such pacticipant exists)" in output


def test_two_pacticipants_together(pipeline: Broker) -> None:
    pipeline.publish()
    pipeline.verify("2.0.0", success=True)
    pipeline.version(PROVIDER, "2.5.0")
    both = ("-a", CONSUMER, "-e", "1.0.0", "-a", PROVIDER)
    allowed, output = pipeline.can_i_deploy(*both, "-e", "2.0.0")
    assert allowed
    assert ALL_GOOD in output

    allowed, output = pipeline.can_i_deploy(*both, "-e", "2.5.0")
    assert not allowed
    assert (
        f"There is no verified pact between version 1.0.0 of {CONSUMER} and version 2.5.0 of "
        f"{PROVIDER}"
    ) in output


def test_latest_and_branch_selectors(pipeline: Broker) -> None:
    pipeline.publish("1.0.0")
    pipeline.environment()
    pipeline.verify("2.0.0", success=True)
    pipeline.deploy(PROVIDER, "2.0.0")
    latest = ("-a", CONSUMER, "--latest", "--to-environment", PRODUCTION)
    branch = ("-a", CONSUMER, "--branch", "main", "--to-environment", PRODUCTION)
    for selector in (latest, branch):
        allowed, output = pipeline.can_i_deploy(*selector)
        assert allowed
        assert "WARN: It is recommended to specify the version number" in output

    pipeline.publish("1.1.0", branch="feature", changed=True)
    assert not pipeline.can_i_deploy(*latest)[0], "1.1.0 is the latest and unverified"
    assert pipeline.can_i_deploy(*branch)[0], "main's versions are still verified"


def test_to_a_tag(pipeline: Broker) -> None:
    pipeline.publish()
    to_prod = ("-a", CONSUMER, "-e", "1.0.0", "--to", "prod")
    allowed, output = pipeline.can_i_deploy(*to_prod)
    assert not allowed
    assert (
        f"There is no verified pact between version 1.0.0 of {CONSUMER} and the latest version "
        f"of {PROVIDER} with tag prod (no such version exists)"
    ) in output
    pipeline.verify("2.0.0", success=True)
    pipeline.run(
        "create-version-tag", "--pacticipant", PROVIDER, "--version", "2.0.0", "--tag", "prod"
    )
    assert pipeline.can_i_deploy(*to_prod)[0]


def test_with_the_main_branch(pipeline: Broker) -> None:
    pipeline.publish()
    query = (
        f"q[][pacticipant]={CONSUMER}&q[][version]=1.0.0&latestby=cvp&latest=true&mainBranch=true"
    )
    assert pipeline.matrix(query)["summary"]["reason"] == (
        f"There is no verified pact between version 1.0.0 of {CONSUMER} and the latest version "
        f"of {PROVIDER} from the main branch (no versions exist for this branch)"
    )
    pipeline.run("create-or-update-pacticipant", "--name", PROVIDER, "--main-branch", "main")
    for number in ("2.0.0", "2.1.0"):
        pipeline.run(
            "create-or-update-version", "--pacticipant", PROVIDER, "--version", number,
            "--branch", "main",
        )  # fmt: skip
    pipeline.verify("2.0.0", success=True)
    summary = pipeline.matrix(query)["summary"]
    assert summary["deployable"] is None, "the head of main is 2.1.0, which has not verified"
    assert summary["reason"] == (
        f"There is no verified pact between version 1.0.0 of {CONSUMER} and the latest version "
        f"of {PROVIDER} from branch main (2.1.0)"
    )
    pipeline.verify("2.1.0", success=True)
    assert pipeline.matrix(query)["summary"]["deployable"] is True


def test_without_a_target_the_latest_versions_count(pipeline: Broker) -> None:
    pipeline.publish()
    pipeline.verify("2.0.0", success=True)
    allowed, output = pipeline.can_i_deploy("-a", CONSUMER, "-e", "1.0.0")
    assert allowed
    assert "WARN: It is recommended to specify the environment" in output
    pipeline.version(PROVIDER, "2.1.0")
    assert not pipeline.can_i_deploy("-a", CONSUMER, "-e", "1.0.0")[0]


# ---------------------------------------------------------------- HTTP shapes


def test_matrix_body(pipeline: Broker) -> None:
    pipeline.publish()
    pipeline.environment()
    pipeline.verify("2.0.0", success=True)
    pipeline.deploy(PROVIDER, "2.0.0")
    body = pipeline.matrix(
        f"q[][pacticipant]={CONSUMER}&q[][version]=1.0.0&latestby=cvpv&environment={PRODUCTION}"
    )
    [row] = body["matrix"]
    base = pipeline.url
    environment = pipeline.http.get("/environments").json()["_embedded"]["environments"][0]
    verification_href = row["verificationResult"]["_links"]["self"]["href"]
    assert verification_href.startswith(
        f"{base}/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/pact-version/"
    )
    assert verification_href.endswith("/verification-results/1")
    assert pipeline.http.get(verification_href).json()["success"] is True
    assert body == {
        "summary": {
            "deployable": True,
            "reason": ALL_GOOD,
            "success": 1,
            "failed": 0,
            "unknown": 0,
        },
        "notices": [{"type": "success", "text": ALL_GOOD}],
        "matrix": [
            {
                "consumer": {
                    "name": CONSUMER,
                    "version": {
                        "number": "1.0.0",
                        "branch": "main",
                        "branches": [main_branch(base, CONSUMER, "1.0.0")],
                        "branchVersions": [main_branch(base, CONSUMER, "1.0.0")],
                        "environments": [],
                        "_links": {
                            "self": {"href": f"{base}/pacticipants/{CONSUMER}/versions/1.0.0"}
                        },
                        "tags": [],
                    },
                    "_links": {"self": {"href": f"{base}/pacticipants/{CONSUMER}"}},
                },
                "provider": {
                    "name": PROVIDER,
                    "version": {
                        "number": "2.0.0",
                        "branch": None,
                        "branches": [],
                        "branchVersions": [],
                        "environments": [
                            {
                                "uuid": environment["uuid"],
                                "name": PRODUCTION,
                                "displayName": "Production",
                                "production": True,
                                "createdAt": environment["createdAt"],
                                "updatedAt": environment["updatedAt"],
                                "_links": {
                                    "self": {
                                        "href": f"{base}/environments/{environment['uuid']}",
                                        "title": "Environment",
                                        "name": PRODUCTION,
                                    }
                                },
                            }
                        ],
                        "_links": {
                            "self": {"href": f"{base}/pacticipants/{PROVIDER}/versions/2.0.0"}
                        },
                        "tags": [],
                    },
                    "_links": {"self": {"href": f"{base}/pacticipants/{PROVIDER}"}},
                },
                "pact": {
                    "createdAt": row["pact"]["createdAt"],
                    "_links": {
                        "self": {
                            "href": f"{base}/pacts/provider/{PROVIDER}/consumer/{CONSUMER}"
                            "/version/1.0.0"
                        }
                    },
                },
                "verificationResult": {
                    "success": True,
                    "verifiedAt": row["verificationResult"]["verifiedAt"],
                    "_links": {"self": {"href": verification_href}},
                },
            }
        ],
    }


def main_branch(base: str, pacticipant: str, number: str) -> dict[str, Any]:
    return {
        "name": "main",
        "latest": True,
        "_links": {
            "self": {
                "href": f"{base}/pacticipants/{pacticipant}/branches/main/versions/{number}",
                "title": "Branch version",
                "name": "main",
            }
        },
    }


def test_can_i_deploy_resource(pipeline: Broker) -> None:
    pipeline.publish()
    pipeline.environment()
    pipeline.verify("2.0.0", success=True)
    pipeline.deploy(PROVIDER, "2.0.0")
    response = pipeline.http.get(
        "/can-i-deploy",
        params={"pacticipant": CONSUMER, "version": "1.0.0", "environment": PRODUCTION},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/hal+json")
    assert response.json()["summary"] == {
        "deployable": True,
        "reason": ALL_GOOD,
        "success": 1,
        "failed": 0,
        "unknown": 0,
    }
    to_tag = pipeline.http.get(
        "/can-i-deploy", params={"pacticipant": CONSUMER, "version": "1.0.0", "to": "prod"}
    ).json()
    assert to_tag["summary"]["deployable"] is None
    assert to_tag["notices"] == [
        {
            "type": "error",
            "text": f"There is no verified pact between version 1.0.0 of {CONSUMER} and the "
            f"latest version of {PROVIDER} with tag prod (no such version exists)",
        }
    ]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("", ["Please provide 1 or more version selectors."]),
        ("q[][pacticipant]=nobody", ["Pacticipant nobody not found"]),
        ("q[][version]=1.0.0", ["Please specify the pacticipant name"]),
        (
            f"q[][pacticipant]={CONSUMER}&q[][version]=1.0.0&q[][latest]=true",
            [f"A version number and latest flag cannot both be specified for {CONSUMER}"],
        ),
        (
            f"q[][pacticipant]={CONSUMER}&environment=nowhere",
            ["Environment with name 'nowhere' does not exist"],
        ),
        (
            f"q[][pacticipant]={CONSUMER}&latestby=sideways",
            ["latestby must be one of cvpv, cvp, cp (got 'sideways')."],
        ),
        (f"q[][pacticipant]={CONSUMER}&limit=0", ["The limit must be 1 or greater."]),
        ("q[][pacticipant]=a%00b", ["Query parameters cannot contain a NUL character."]),
    ],
)
def test_matrix_400(pipeline: Broker, query: str, errors: list[str]) -> None:
    pipeline.publish()
    response = pipeline.http.get(f"/matrix?{query}")
    assert response.status_code == 400
    assert response.json() == {"errors": errors}


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        (
            {},
            {
                "pacticipant": ["is missing"],
                "version": ["is missing"],
                "base": ["Must specify either an environment or a 'to' tag."],
            },
        ),
        (
            {"pacticipant": "nobody", "version": "1", "environment": "nowhere"},
            {
                "pacticipant": ["does not match an existing pacticipant"],
                "environment": ["with name 'nowhere' does not exist"],
            },
        ),
        (
            {"pacticipant": CONSUMER, "version": "1", "environment": PRODUCTION, "to": "prod"},
            {"base": ["Cannot specify both a 'to' tag and an environment."]},
        ),
    ],
)
def test_can_i_deploy_400(pipeline: Broker, params: dict[str, str], errors: dict[str, Any]) -> None:
    pipeline.publish()
    pipeline.environment()
    response = pipeline.http.get("/can-i-deploy", params=params)
    assert response.status_code == 400
    assert response.json() == {"errors": errors}


NASTY = [
    "q=foo",
    "q[]=foo",
    "q[][pacticipant]=",
    "q[][pacticipant][]=x",
    "q[0][pacticipant]=billing-service&q[0][version]=1.0.0&q[1][pacticipant]=user-service",
    "q[][pacticipant]=billing-service&latestby=&limit=&success=&latest=&tag=&environment=",
    "q[][pacticipant]=billing-service&limit=-5",
    "q[][pacticipant]=billing-service&limit=99999999999999999999999999999999999999999",
    "q[][pacticipant]=billing-service&limit=" + "9" * 5000,
    "q[][pacticipant]=billing-service&success[]=maybe&success[]=",
    "q[][pacticipant]=billing-service&latestby=cvpv&latestby=" + "x" * 3000,
    "q[][pacticipant]=%F0%9F%92%A5&q[][version]=%E2%98%83",
    "q[][pacticipant]=billing-service&q[][version]=%00",
    "q[][pacticipant]=billing%00service",
    "q[][pacticipant]=%ff%fe&environment=%c3%28",
    "q[][pacticipant]=billing-service&q[][tag]=a&q[][branch]=b&q[][environment]=c"
    "&q[][mainBranch]=true&q[][latest]=true",
    "q[][pacticipant]=billing-service&mainBranch=true&latest=true",
    "q[][pacticipant]=billing-service&tag=x&latest=true&latestby=cp",
    "q[][pacticipant]=billing-service&ignore[]=x&ignore=y&ignore[][version]=1",
    "q[][pacticipant]=billing-service&ignore[][pacticipant]=user-service&ignore[][version]=nope",
    "&".join(f"q[][pacticipant]=billing-service&q[][version]={i}" for i in range(300)),
    "&".join("q[][pacticipant]=user-service" for _ in range(300)),
    "q[][pacticipant]=" + "x" * 5000,
    "q[][pacticipant]=billing-service&q[][pacticipant]=user-service&latestby=cp",
    "q[][pacticipant]=billing-service&q[][version]=1.0.0&q[][pacticipant]=user-service"
    "&q[][version]=2.0.0&success[]=true",
]


def test_nothing_a_client_sends_is_a_server_error(pipeline: Broker) -> None:
    pipeline.publish()
    pipeline.environment()
    pipeline.verify("2.0.0", success=True)
    pipeline.deploy(PROVIDER, "2.0.0")
    for query in NASTY:
        for path in ("/matrix", "/can-i-deploy"):
            response = pipeline.http.get(f"{path}?{query}")
            assert response.status_code in {200, 400}, (path, query, response.text)
            assert isinstance(json.loads(response.text), dict)
    for params in (
        {"pacticipant": "", "version": "", "environment": ""},
        {"pacticipant": CONSUMER, "version": "\x00", "to": "\u2603"},
        {"pacticipant": CONSUMER, "version": "1.0.0", "environment": PRODUCTION, "ignore[]": ""},
    ):
        response = pipeline.http.get("/can-i-deploy", params=params)
        assert response.status_code in {200, 400}, (params, response.text)


def test_statements_per_request_do_not_grow_with_the_data(
    pipeline: Broker, database_url: str
) -> None:
    queries = {
        matrix_service.matrix: [
            f"q[][pacticipant]={CONSUMER}&q[][version]=1.0.0&latestby=cvpv&environment={PRODUCTION}",
            f"q[][pacticipant]={PROVIDER}&q[][version]=2.0.0&latestby=cvpv&environment={PRODUCTION}",
            f"q[][pacticipant]={CONSUMER}&q[][version]=1.0.0&latestby=cvp&latest=true",
            f"q[][pacticipant]={CONSUMER}&q[][version]=1.0.0&q[][pacticipant]={PROVIDER}"
            "&q[][version]=2.0.0&latestby=cvpv",
        ],
        matrix_service.can_i_deploy: [
            f"pacticipant={CONSUMER}&version=1.0.0&environment={PRODUCTION}",
        ],
    }
    database = Database(database_url)

    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    def statements() -> list[int]:
        counts = []
        event.listen(database.engine, "before_cursor_execute", count)
        for run, queries_for in queries.items():
            for query in queries_for:
                seen.clear()
                with database.session() as session:
                    run(session, httpx2.QueryParams(query).multi_items())
                # A refusal reads the failed verifications' testResults: one statement more
                # when (and only when) a row failed, whatever the number of rows.
                explaining = [s for s in seen if "test_results" in s]
                assert len(explaining) <= 1, seen
                counts.append(len(seen) - len(explaining))
        event.remove(database.engine, "before_cursor_execute", count)
        return counts

    pipeline.publish()
    pipeline.environment()
    pipeline.verify("2.0.0", success=True)
    pipeline.deploy(PROVIDER, "2.0.0")
    pipeline.deploy(CONSUMER, "1.0.0")
    before = statements()

    for minor in range(1, 6):
        consumer_version, provider_version = f"1.{minor}.0", f"2.{minor}.0"
        pipeline.publish(consumer_version, changed=True)
        pipeline.verify(provider_version, success=minor % 2 == 0, consumer_version="1.0.0")
        pipeline.verify(provider_version, success=True, consumer_version=consumer_version)
        pipeline.release(PROVIDER, provider_version)
        pipeline.release(CONSUMER, consumer_version)
    try:
        assert statements() == before
    finally:
        database.dispose()


def test_a_pipelines_question_costs_three_statements(pipeline: Broker, database_url: str) -> None:
    """can-i-deploy for one version: names, environment, version, its integrations and the
    other side's versions in the environment in one statement; then the rows, their details."""
    pipeline.publish()
    pipeline.environment()
    pipeline.verify("2.0.0", success=True)
    pipeline.deploy(PROVIDER, "2.0.0")
    database = Database(database_url)
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        for run, query in (
            (
                matrix_service.can_i_deploy,
                f"pacticipant={CONSUMER}&version=1.0.0&environment={PRODUCTION}",
            ),
            (
                matrix_service.matrix,
                f"q[][pacticipant]={CONSUMER}&q[][version]=1.0.0&latestby=cvpv&environment={PRODUCTION}",
            ),
        ):
            seen.clear()
            with database.session(write=False) as session:
                result = run(session, httpx2.QueryParams(query).multi_items())
            assert result.summary.deployable is True
            reads = [s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]
            assert len(reads) == 3, seen
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
        database.dispose()


PIPELINE_QUESTIONS = (
    f"q[][pacticipant]={CONSUMER}&q[][version]=1.0.0&latestby=cvpv&environment={PRODUCTION}",
    f"q[][pacticipant]={PROVIDER}&q[][version]=2.0.0&latestby=cvpv&environment={PRODUCTION}",
    f"q[][pacticipant]={PROVIDER}&q[][version]=3.0.0&latestby=cvpv&environment={PRODUCTION}",
)


def test_a_pipelines_question_plans_its_rows_once_for_its_transaction_only(
    pipeline: Broker, database_url: str
) -> None:
    """On PostgreSQL the one-version lookup switches the rest of its read transaction to generic
    plans (no statement of its own) and the switch ends with the transaction: the connection's
    next transaction plans as PostgreSQL's default does. Answers are the same once the
    statements are prepared (psycopg prepares on a statement's fifth use on a connection)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("plan_cache_mode is PostgreSQL's")
    pipeline.publish()
    pipeline.environment()
    pipeline.verify("2.0.0", success=True)
    pipeline.verify("3.0.0", success=False)
    pipeline.deploy(PROVIDER, "2.0.0")
    pipeline.deploy(CONSUMER, "1.0.0")
    database = Database(database_url, max_connections=2)  # one pooled connection, reused
    try:
        first: dict[str, Any] = {}
        for _ in range(8):
            for query in PIPELINE_QUESTIONS:
                with database.session(write=False) as session:
                    result = matrix_service.matrix(session, httpx2.QueryParams(query).multi_items())
                    inside = session.execute(text("SHOW plan_cache_mode")).scalar_one()
                    raw = session.connection().connection.dbapi_connection
                answer = (
                    result.summary.deployable,
                    [
                        (r.consumer_version_id, r.provider_version_id, r.success)
                        for r in result.considered
                    ],
                    sorted(result.details),
                )
                assert first.setdefault(query, answer) == answer
                assert inside == "force_generic_plan"
                with database.session(write=False) as session:
                    after = session.execute(text("SHOW plan_cache_mode")).scalar_one()
                    assert session.connection().connection.dbapi_connection is raw
                assert after == "auto"
        assert [answer[0] for answer in first.values()] == [True, True, False]
    finally:
        database.dispose()


def test_the_lookup_finds_the_integrations_integrations_of_would(
    pipeline: Broker, database_url: str
) -> None:
    """The one-version lookup's integrations are integrations_of's, for a consumer version and
    a provider version alike (and none for a version that does not exist)."""
    pipeline.publish()
    pipeline.verify("2.0.0", success=True)
    database = Database(database_url)
    try:
        with database.session(write=False) as session:
            for name, number in ((CONSUMER, "1.0.0"), (PROVIDER, "2.0.0"), (PROVIDER, "9.9.9")):
                found = matrix_repo.lookup_with_integrations(session, [name], None, [number])
                assert found.integrations is not None
                expected = matrix_repo.integrations_of(
                    session,
                    version_ids=[v.id for v in found.versions],
                    consumer_ids=[],
                    provider_ids=[found.pacticipants[name]],
                )
                assert tuple(set(part) for part in found.integrations) == tuple(
                    set(part) for part in expected
                ), (name, number)
                assert found.integrations != ([], [])  # each has a partner to find
    finally:
        database.dispose()


def test_the_lookup_finds_the_versions_in_the_environment_versions_for_criteria_would(
    pipeline: Broker, database_url: str
) -> None:
    """The one-version lookup with an environment finds the integrations' other pacticipants'
    versions there as versions_for_criteria does: deployed ones still current, released ones
    still supported, for a consumer version and a provider version alike."""
    pipeline.publish()
    pipeline.environment()
    pipeline.verify("2.0.0", success=True)
    pipeline.publish("1.1.0", changed=True)
    pipeline.verify("2.1.0", success=True, consumer_version="1.1.0")
    pipeline.deploy(PROVIDER, "2.0.0")
    pipeline.deploy(PROVIDER, "2.1.0")  # 2.0.0 is no longer current
    pipeline.release(PROVIDER, "2.0.0")  # but released and supported
    pipeline.deploy(CONSUMER, "1.0.0")
    database = Database(database_url)
    try:
        with database.session(write=False) as session:
            for name, number, other in (
                (CONSUMER, "1.1.0", PROVIDER),
                (PROVIDER, "2.1.0", CONSUMER),
            ):
                found = matrix_repo.lookup_with_integrations(session, [name], PRODUCTION, [number])
                assert found.in_environment is not None
                other_id = matrix_repo.lookup(session, [other], None)[0][other]
                expected = matrix_repo.versions_for_criteria(
                    session, [other_id], environment=PRODUCTION
                )
                assert [(v.id, v.pacticipant_id, v.number) for v in found.in_environment] == [
                    (v.id, v.pacticipant_id, v.number) for v in expected
                ], name
                assert expected  # each has a version there to find
            without = matrix_repo.lookup_with_integrations(session, [CONSUMER], None, ["1.1.0"])
            assert without.in_environment is None
    finally:
        database.dispose()


MISSING_NAME = {
    "attribute": "body",
    "identifier": "$",
    "description": "Actual map is missing the following keys: name",
}


def failing(description: str) -> dict[str, Any]:
    return {"interactionDescription": description, "success": False, "mismatches": [MISSING_NAME]}


def test_the_refusal_names_the_failing_interactions_and_mismatches(pipeline: Broker) -> None:
    """What the CLI prints and the matrix says: the failing interaction and its mismatch, the
    first three of many and how many more; a passing interaction is not named."""
    pipeline.publish()
    results = [failing("a request for user 123")]
    results.append({"interactionDescription": "a passing one", "success": True, "mismatches": []})
    pipeline.verify("2.0.0", success=False, test_results=results)
    line = (
        f'{PROVIDER} 2.0.0 fails {CONSUMER}\'s "a request for user 123": '
        "body $ — Actual map is missing the following keys: name"
    )

    allowed, output = pipeline.can_i_deploy("-a", PROVIDER, "-e", "2.0.0")

    assert not allowed
    assert line in output
    assert "a passing one" not in output
    body = pipeline.matrix(f"q[][pacticipant]={PROVIDER}&q[][version]=2.0.0&latestby=cvpv")
    assert body["summary"]["reason"].splitlines()[-1] == "  " + line
    assert {"type": "error", "text": line} in body["notices"]  # its own line in the CLI's output
    assert any(output_line.endswith(line) for output_line in output.splitlines()), output

    pipeline.verify("2.1.0", success=False, test_results=[failing(f"i{n}") for n in range(15)])
    allowed, output = pipeline.can_i_deploy("-a", PROVIDER, "-e", "2.1.0")
    assert not allowed
    assert '"i2"' in output
    assert '"i3"' not in output
    assert "and 12 more failing interactions" in output


def test_a_failed_verification_without_test_results_keeps_the_sentence(pipeline: Broker) -> None:
    pipeline.publish()
    pipeline.verify("2.0.0", success=False)
    pipeline.verify("2.1.0", success=False, test_results={"unexpected": "shape"})
    for number in ("2.0.0", "2.1.0"):
        body = pipeline.matrix(f"q[][pacticipant]={PROVIDER}&q[][version]={number}&latestby=cvpv")
        assert body["summary"]["reason"].splitlines()[-1] == (
            f"The verification for the pact between version 1.0.0 of {CONSUMER} and "
            f"version {number} of {PROVIDER} failed"
        )


def test_queries_built_in_code(pipeline: Broker, database_url: str) -> None:
    pipeline.publish()
    pipeline.environment()
    pipeline.verify("2.0.0", success=True)
    pipeline.deploy(PROVIDER, "2.0.0")
    to_production = matrix_service.Options(latestby="cvpv", environment=PRODUCTION)
    database = Database(database_url)
    try:
        with database.session() as session:
            found = matrix_service.find(
                session,
                matrix_service.MatrixQuery(
                    (matrix_service.Selector(CONSUMER, branch="main", latest=True),), to_production
                ),
            )
            assert found.summary.deployable is True
            assert [r.text for r in found.summary.reasons][-1] == ALL_GOOD
            with pytest.raises(InvalidQuery) as raised:
                matrix_service.find(
                    session,
                    matrix_service.MatrixQuery((matrix_service.Selector("nobody"),), to_production),
                )
            assert raised.value.errors == ["Pacticipant nobody not found"]
    finally:
        database.dispose()
