"""The official ``pact broker`` CLI against a live broker: exit codes, output, stored state."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import http_client as http
from tests.support.cli import PactCli
from tests.support.pacts import CONSUMER, PROVIDER, changed, renamed, sample_pact, write_pact
from tests.support.server import LiveBroker

Result = subprocess.CompletedProcess[str]


def ok(result: Result) -> str:
    """The output of a command that must succeed."""
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def failed(result: Result) -> str:
    """The output (stdout and stderr) of a command that must fail."""
    assert result.returncode != 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def get(broker: LiveBroker, path: str, status: int = 200) -> Any:
    response = http.get(broker.url + path)
    assert response.status_code == status, response.text
    return response.json()


def tags_of(broker: LiveBroker, pacticipant: str, version: str) -> list[str]:
    body = get(broker, f"/pacticipants/{pacticipant}/versions/{version}")
    return [t["name"] for t in body["_embedded"]["tags"]]


def branches_of(broker: LiveBroker, pacticipant: str, version: str) -> list[str]:
    body = get(broker, f"/pacticipants/{pacticipant}/versions/{version}")
    return [b["name"] for b in body["_embedded"]["branchVersions"]]


def descriptions(pact: dict[str, Any]) -> list[str]:
    return sorted(i["description"] for i in pact["interactions"])


@pytest.fixture
def pact_dir(tmp_path: Path) -> Path:
    return tmp_path / "pacts"


def publish(pact: PactCli, path: Path, version: str, *args: str) -> Result:
    return pact("publish", str(path), "--consumer-app-version", version, *args)


def environment_uuid(broker: LiveBroker, name: str) -> str:
    found = get(broker, f"/environments?name={name}")["_embedded"]["environments"]
    assert len(found) == 1, found
    uuid: str = found[0]["uuid"]
    return uuid


# --- publish -------------------------------------------------------------------------------


def test_publish_stores_version_branch_tags_and_build_url(
    broker: LiveBroker, pact: PactCli, pact_file: Path
) -> None:
    out = ok(
        publish(
            pact,
            pact_file,
            "1.0.0",
            "--branch",
            "main",
            "--tag",
            "dev",
            "prod",
            "--build-url",
            "http://ci/builds/1",
        )
    )

    assert f"Created {CONSUMER} version 1.0.0 with branch main and tags dev, prod" in out
    assert f"Pact successfully published for {CONSUMER} version 1.0.0 and provider {PROVIDER}" in (
        out
    )
    version = get(broker, f"/pacticipants/{CONSUMER}/versions/1.0.0")
    assert version["buildUrl"] == "http://ci/builds/1"
    assert tags_of(broker, CONSUMER, "1.0.0") == ["dev", "prod"]
    assert branches_of(broker, CONSUMER, "1.0.0") == ["main"]
    consumer = get(broker, f"/pacticipants/{CONSUMER}")
    assert consumer["mainBranch"] == "main"  # auto-detected from the first main-like branch
    stored = get(broker, f"/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/version/1.0.0")
    assert descriptions(stored) == descriptions(sample_pact())
    assert all(len(i["_id"]) == 40 for i in stored["interactions"])


def test_republishing_identical_content_reports_no_changes(
    broker: LiveBroker, pact: PactCli, pact_file: Path
) -> None:
    ok(publish(pact, pact_file, "1.0.0", "--branch", "main"))

    out = ok(publish(pact, pact_file, "1.0.0", "--branch", "main"))

    assert "republished" in out
    assert "no content changes" in out
    versions = get(broker, f"/pacticipants/{CONSUMER}/versions")["_embedded"]["versions"]
    assert [v["number"] for v in versions] == ["1.0.0"]


def test_changed_content_for_a_published_version_is_refused_and_nothing_changes(
    broker: LiveBroker, pact: PactCli, pact_file: Path, pact_dir: Path
) -> None:
    ok(publish(pact, pact_file, "1.0.0", "--branch", "main", "--tag", "dev"))
    before = get(broker, f"/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/version/1.0.0")
    other = write_pact(pact_dir, changed(sample_pact()))

    out = failed(
        publish(
            pact, other, "1.0.0", "--branch", "feat-x", "--tag", "new", "--build-url", "http://x"
        )
    )

    assert "Cannot change the content of the pact for billing-service version 1.0.0" in out
    assert "pact_content_modification_not_allowed" in out
    after = get(broker, f"/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/version/1.0.0")
    assert descriptions(after) == descriptions(before)
    assert after["_links"]["pb:pact-version"] == before["_links"]["pb:pact-version"]
    assert tags_of(broker, CONSUMER, "1.0.0") == ["dev"]
    assert branches_of(broker, CONSUMER, "1.0.0") == ["main"]
    assert get(broker, f"/pacticipants/{CONSUMER}/versions/1.0.0")["buildUrl"] is None


def test_merge_of_other_content_is_a_conflict_by_default(
    broker: LiveBroker, pact: PactCli, pact_file: Path, pact_dir: Path
) -> None:
    ok(publish(pact, pact_file, "1.0.0"))
    other = write_pact(pact_dir, changed(sample_pact()))

    out = failed(publish(pact, other, "1.0.0", "--merge"))

    assert "pact_content_modification_not_allowed" in out
    stored = get(broker, f"/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/version/1.0.0")
    assert descriptions(stored) == descriptions(sample_pact())


def test_merge_adds_interactions_when_modification_is_allowed(
    make_broker: Callable[..., LiveBroker], pact_file: Path, pact_dir: Path
) -> None:
    broker = make_broker(allow_dangerous_contract_modification=True)
    pact = PactCli(broker.url)
    ok(publish(pact, pact_file, "1.0.0"))
    other = write_pact(pact_dir, changed(sample_pact()))

    out = ok(publish(pact, other, "1.0.0", "--merge"))

    assert "merged" in out
    stored = get(broker, f"/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/version/1.0.0")
    assert descriptions(stored) == sorted(
        [*descriptions(sample_pact()), "a request for an unknown user (changed)"]
    )


def test_publishing_a_directory_publishes_each_pact(
    broker: LiveBroker, pact: PactCli, pact_dir: Path
) -> None:
    write_pact(pact_dir, sample_pact())
    write_pact(pact_dir, renamed(sample_pact(), provider="audit-service"))

    out = ok(publish(pact, pact_dir, "2.0.0", "--branch", "main"))

    assert "provider user-service" in out
    assert "provider audit-service" in out
    listed = get(broker, "/pacts/latest")["pacts"]
    assert sorted(p["_embedded"]["provider"]["name"] for p in listed) == [
        "audit-service",
        PROVIDER,
    ]


# --- pacticipants --------------------------------------------------------------------------


def test_create_or_update_pacticipant_creates_then_updates(
    broker: LiveBroker, pact: PactCli
) -> None:
    created = ok(
        pact(
            "create-or-update-pacticipant",
            "--name",
            "orders",
            "--display-name",
            "Order Desk",
            "--main-branch",
            "develop",
            "--repository-url",
            "https://git.example/orders",
        )
    )
    assert "Pacticipant 'orders' created successfully" in created

    updated = ok(pact("create-or-update-pacticipant", "--name", "orders", "--main-branch", "main"))

    assert "Pacticipant 'orders' updated successfully" in updated
    body = get(broker, "/pacticipants/orders")
    assert {k: body[k] for k in ("name", "displayName", "mainBranch", "repositoryUrl")} == {
        "name": "orders",
        "displayName": "Order Desk",
        "mainBranch": "main",
        "repositoryUrl": "https://git.example/orders",
    }


def test_pacticipants_get_the_pact_broker_display_name(
    broker: LiveBroker, pact: PactCli, pact_file: Path
) -> None:
    ok(pact("create-or-update-pacticipant", "--name", "userService"))
    ok(publish(pact, pact_file, "1"))

    assert get(broker, "/pacticipants/userService")["displayName"] == "User Service"
    assert get(broker, f"/pacticipants/{CONSUMER}")["displayName"] == "Billing Service"
    assert get(broker, f"/pacticipants/{PROVIDER}")["displayName"] == "User Service"
    described = ok(pact("describe-pacticipant", "--name", CONSUMER))
    assert "Display Name: Billing Service" in described


def test_describe_and_list_pacticipants(broker: LiveBroker, pact: PactCli) -> None:
    ok(
        pact(
            "create-or-update-pacticipant",
            "--name",
            "orders",
            "--main-branch",
            "main",
            "--repository-url",
            "https://git.example/orders",
        )
    )
    ok(pact("create-or-update-pacticipant", "--name", "ledger"))

    described = ok(pact("describe-pacticipant", "--name", "orders"))
    assert "Name: orders" in described
    assert "Main Branch: main" in described
    assert "Repo URL: https://git.example/orders" in described
    listed = ok(pact("list-pacticipants", "-o", "table"))
    assert listed.index('"ledger"') < listed.index('"orders"')
    assert '"Orders"' in listed
    missing = failed(pact("describe-pacticipant", "--name", "nobody"))
    assert "404" in missing or "not found" in missing.lower()


# --- environments --------------------------------------------------------------------------


def test_create_list_and_describe_environments(broker: LiveBroker, pact: PactCli) -> None:
    plain = ok(pact("create-environment", "--name", "test"))
    assert "Created test environment" in plain
    ok(
        pact(
            "create-environment",
            "--name",
            "production",
            "--display-name",
            "Production",
            "--production",
            "--contact-name",
            "Ops Team",
            "--contact-email-address",
            "ops@example.com",
        )
    )

    duplicate = failed(pact("create-environment", "--name", "test"))
    assert "Another environment with name 'test' already exists" in duplicate
    listed = get(broker, "/environments")["_embedded"]["environments"]
    assert [(e["name"], e["displayName"], e["production"]) for e in listed] == [
        ("production", "Production", True),
        ("test", "Test", False),
    ]
    assert listed[0]["contacts"] == [
        {"name": "Ops Team", "details": {"emailAddress": "ops@example.com"}}
    ]
    table = ok(pact("list-environments"))
    assert "production" in table
    assert "Test" in table
    uuid = environment_uuid(broker, "production")
    described = ok(pact("describe-environment", "--uuid", uuid))
    assert "Name: production" in described
    assert "Display Name: Production" in described
    assert "Production: true" in described
    assert "Ops Team" in described


def test_update_and_delete_environment(broker: LiveBroker, pact: PactCli) -> None:
    ok(pact("create-environment", "--name", "staging"))
    uuid = environment_uuid(broker, "staging")

    ok(
        pact(
            "update-environment",
            "--uuid",
            uuid,
            "--name",
            "staging",
            "--display-name",
            "Staging Area",
            "--production",
        )
    )
    body = get(broker, f"/environments/{uuid}")
    assert (body["displayName"], body["production"]) == ("Staging Area", True)

    ok(pact("delete-environment", "--uuid", uuid))
    get(broker, f"/environments/{uuid}", status=404)


# --- versions, tags, branches --------------------------------------------------------------


def test_describe_version_by_number_latest_and_latest_tag(
    broker: LiveBroker, pact: PactCli, pact_file: Path
) -> None:
    ok(publish(pact, pact_file, "1.0.0", "--tag", "prod"))
    ok(publish(pact, pact_file, "1.1.0", "--tag", "dev"))

    by_number = ok(pact("describe-version", "--pacticipant", CONSUMER, "--version", "1.0.0"))
    latest = ok(pact("describe-version", "--pacticipant", CONSUMER))
    latest_prod = ok(pact("describe-version", "--pacticipant", CONSUMER, "--latest", "prod"))

    assert "1.0.0" in by_number
    assert "prod" in by_number
    assert "1.1.0" in latest
    assert "dev" in latest
    assert "1.0.0" in latest_prod
    assert "1.1.0" not in latest_prod
    for args in (("--version", "9.9.9"), ("--latest", "nope")):
        out = failed(pact("describe-version", "--pacticipant", CONSUMER, *args))
        assert "Pacticipant version not found" in out


def test_create_version_tag_needs_the_version_unless_auto_created(
    broker: LiveBroker, pact: PactCli, pact_file: Path
) -> None:
    ok(publish(pact, pact_file, "1.0.0"))

    out = ok(
        pact("create-version-tag", "--pacticipant", CONSUMER, "-e", "1.0.0", "-t", "prod", "qa")
    )
    assert "with tag 'prod' - Success" in out
    assert tags_of(broker, CONSUMER, "1.0.0") == ["prod", "qa"]

    missing = failed(pact("create-version-tag", "--pacticipant", CONSUMER, "-e", "2", "-t", "x"))
    assert "does not exist" in missing
    get(broker, f"/pacticipants/{CONSUMER}/versions/2", status=404)

    ok(
        pact(
            "create-version-tag",
            "--pacticipant",
            CONSUMER,
            "-e",
            "2",
            "-t",
            "x",
            "--auto-create-version",
        )
    )
    assert tags_of(broker, CONSUMER, "2") == ["x"]

    ok(pact("delete-version-tag", "--pacticipant", CONSUMER, "-e", "1.0.0", "-t", "qa"))
    assert tags_of(broker, CONSUMER, "1.0.0") == ["prod"]


def test_create_or_update_version_with_branch_and_tag(broker: LiveBroker, pact: PactCli) -> None:
    out = ok(
        pact(
            "create-or-update-version",
            "--pacticipant",
            "orders",
            "--version",
            "abc123",
            "--branch",
            "feat-x",
            "--tag",
            "review",
        )
    )

    assert "Branch 'feat-x' created for version 'abc123'" in out
    assert branches_of(broker, "orders", "abc123") == ["feat-x"]
    assert tags_of(broker, "orders", "abc123") == ["review"]
    latest = get(broker, "/pacticipants/orders/branches/feat-x/latest-version")
    assert latest["number"] == "abc123"


def test_delete_branch_keeps_the_versions(
    broker: LiveBroker, pact: PactCli, pact_file: Path
) -> None:
    ok(publish(pact, pact_file, "1.0.0", "--branch", "feat-x"))

    ok(pact("delete-branch", "--pacticipant", CONSUMER, "--branch", "feat-x"))

    get(broker, f"/pacticipants/{CONSUMER}/branches/feat-x", status=404)
    assert branches_of(broker, CONSUMER, "1.0.0") == []
    get(broker, f"/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/version/1.0.0")
    out = failed(
        pact(
            "delete-branch",
            "--pacticipant",
            CONSUMER,
            "--branch",
            "feat-x",
            "--error-when-not-found",
            "true",
        )
    )
    assert "feat-x" in out or "404" in out


# --- pacts ---------------------------------------------------------------------------------


def test_list_latest_pact_versions_as_a_table(
    broker: LiveBroker, pact: PactCli, pact_file: Path, pact_dir: Path
) -> None:
    ok(publish(pact, pact_file, "1.0.0"))
    ok(publish(pact, pact_file, "1.1.0"))
    ok(publish(pact, write_pact(pact_dir, renamed(sample_pact(), consumer="audit")), "7"))

    out = ok(pact("list-latest-pact-versions", "-o", "table"))

    rows = [line for line in out.splitlines() if PROVIDER in line]
    assert len(rows) == 2
    assert '"audit"' in rows[0]
    assert '"7"' in rows[0]
    assert f'"{CONSUMER}"' in rows[1]
    assert '"1.1.0"' in rows[1]


def test_get_pacts_by_consumer_branch(
    broker: LiveBroker, pact: PactCli, pact_file: Path, pact_dir: Path
) -> None:
    ok(publish(pact, pact_file, "1.0.0", "--branch", "main"))
    ok(publish(pact, write_pact(pact_dir, changed(sample_pact())), "1.1.0", "--branch", "main"))
    ok(publish(pact, pact_file, "2.0.0-feat", "--branch", "feat-x"))
    # 1.0.0 heads another branch: it must not count as the latest of main.
    ok(pact("create-or-update-version", "-a", CONSUMER, "-e", "1.0.0", "--branch", "hotfix"))

    def get_pacts(*args: str) -> str:
        return ok(pact("get-pacts", "--provider", PROVIDER, *args, "-o", "json"))

    for scope in ((), ("--consumer", CONSUMER)):
        main_all = get_pacts(*scope)
        main_latest = get_pacts(*scope, "--latest")
        feat = get_pacts(*scope, "--branch", "feat-x")
        feat_latest = get_pacts(*scope, "--branch", "feat-x", "--latest")

        assert "(1.0.0)" in main_all
        assert "(1.1.0)" in main_all
        assert "2.0.0-feat" not in main_all
        assert "(1.1.0)" in main_latest
        assert "(1.0.0)" not in main_latest
        assert "(2.0.0-feat)" in feat
        assert "(1.0.0)" not in feat
        assert f"Pact between {CONSUMER} (2.0.0-feat) and {PROVIDER}" in feat_latest
    table = ok(pact("get-pacts", "--provider", PROVIDER))
    assert CONSUMER in table
    failed(pact("get-pacts", "--provider", "nobody"))


# --- deployments and releases --------------------------------------------------------------


def _deployed(broker: LiveBroker, environment: str) -> list[tuple[str, str | None]]:
    uuid = environment_uuid(broker, environment)
    body = get(broker, f"/environments/{uuid}/deployed-versions/currently-deployed")
    return [
        (d["_embedded"]["version"]["number"], d["applicationInstance"])
        for d in body["_embedded"]["deployedVersions"]
    ]


def test_record_deployment_replaces_the_previous_version(
    broker: LiveBroker, pact: PactCli, pact_file: Path
) -> None:
    ok(pact("create-environment", "--name", "test"))
    ok(publish(pact, pact_file, "1.0.0"))
    ok(publish(pact, pact_file, "1.1.0"))

    first = ok(
        pact("record-deployment", "--pacticipant", CONSUMER, "-e", "1.0.0", "--environment", "test")
    )
    assert f"Recorded deployment of {CONSUMER} version 1.0.0 to test environment" in first
    record = get(broker, f"/pacticipants/{CONSUMER}/versions/1.0.0")
    assert [e["name"] for e in record["_links"]["pb:deployed-environments"]] == ["test"]

    ok(pact("record-deployment", "--pacticipant", CONSUMER, "-e", "1.1.0", "--environment", "test"))

    assert _deployed(broker, "test") == [("1.1.0", None)]
    old = get(broker, f"/pacticipants/{CONSUMER}/versions/1.0.0")
    assert old["_links"]["pb:deployed-environments"] == []
    missing_env = failed(
        pact("record-deployment", "--pacticipant", CONSUMER, "-e", "1.1.0", "--environment", "qa")
    )
    assert "Environment qa does not exist" in missing_env
    failed(pact("record-deployment", "--pacticipant", CONSUMER, "-e", "9", "--environment", "test"))


def test_application_instances_are_deployed_and_undeployed_separately(
    broker: LiveBroker, pact: PactCli, pact_file: Path
) -> None:
    ok(pact("create-environment", "--name", "test"))
    ok(publish(pact, pact_file, "1.0.0"))
    ok(publish(pact, pact_file, "1.1.0"))
    ok(pact("record-deployment", "--pacticipant", CONSUMER, "-e", "1.0.0", "--environment", "test"))
    blue = ok(
        pact(
            "record-deployment",
            "--pacticipant",
            CONSUMER,
            "-e",
            "1.1.0",
            "--environment",
            "test",
            "--application-instance",
            "blue",
        )
    )
    assert "(application instance blue)" in blue
    assert _deployed(broker, "test") == [("1.0.0", None), ("1.1.0", "blue")]

    undeployed = ok(
        pact(
            "record-undeployment",
            "--pacticipant",
            CONSUMER,
            "--environment",
            "test",
            "--application-instance",
            "blue",
        )
    )

    assert f"Undeployed {CONSUMER} from test environment" in undeployed
    assert _deployed(broker, "test") == [("1.0.0", None)]
    ok(pact("record-undeployment", "--pacticipant", CONSUMER, "--environment", "test"))
    assert _deployed(broker, "test") == []
    again = failed(pact("record-undeployment", "--pacticipant", CONSUMER, "--environment", "test"))
    assert "is not currently deployed to test environment" in again


def test_record_release_and_support_ended(
    broker: LiveBroker, pact: PactCli, pact_file: Path
) -> None:
    ok(pact("create-environment", "--name", "store", "--production"))
    ok(publish(pact, pact_file, "1.0.0"))
    ok(publish(pact, pact_file, "2.0.0"))

    out = ok(
        pact("record-release", "--pacticipant", CONSUMER, "-e", "1.0.0", "--environment", "store")
    )
    ok(pact("record-release", "--pacticipant", CONSUMER, "-e", "2.0.0", "--environment", "store"))

    assert f"Recorded release of {CONSUMER} version 1.0.0 to store environment" in out
    uuid = environment_uuid(broker, "store")
    supported = f"/environments/{uuid}/released-versions/currently-supported"

    def released() -> list[str]:
        body = get(broker, supported)["_embedded"]["releasedVersions"]
        return [r["_embedded"]["version"]["number"] for r in body]

    assert released() == ["1.0.0", "2.0.0"]  # releases do not replace each other

    ended = ok(
        pact(
            "record-support-ended",
            "--pacticipant",
            CONSUMER,
            "-e",
            "1.0.0",
            "--environment",
            "store",
        )
    )

    assert "Recorded support ended" in ended
    assert released() == ["2.0.0"]
    version = get(broker, f"/pacticipants/{CONSUMER}/versions/2.0.0")
    assert [e["name"] for e in version["_links"]["pb:released-environments"]] == ["store"]


def test_names_with_spaces_work_through_the_cli(
    broker: LiveBroker, pact: PactCli, pact_dir: Path
) -> None:
    ok(pact("create-environment", "--name", "test"))
    path = write_pact(pact_dir, renamed(sample_pact(), consumer="Billing Desk"))
    ok(publish(pact, path, "1.0 beta", "--branch", "main"))

    ok(
        pact(
            "record-deployment",
            "--pacticipant",
            "Billing Desk",
            "-e",
            "1.0 beta",
            "--environment",
            "test",
        )
    )
    described = ok(pact("describe-version", "--pacticipant", "Billing Desk", "-e", "1.0 beta"))

    assert "1.0 beta" in described
    assert _deployed(broker, "test") == [("1.0 beta", None)]
    assert get(broker, "/pacticipants/Billing%20Desk")["displayName"] == "Billing Desk"
