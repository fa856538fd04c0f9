"""Authentication with the official clients: read-write and read-only basic auth and tokens.

No credentials or wrong ones: 401 with the basic realm. Read-only credentials on a write: 403
(RFC 9110: known, but not permitted). Every refusal is HAL JSON with a one-line error.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import http_client as http
from tests.support.cli import PactCli
from tests.support.pacts import CONSUMER, PROVIDER, publish_body, sample_pact
from tests.support.provider import verify
from tests.support.server import LiveBroker

ADMIN, ADMIN_PASSWORD = "admin", "s3cret-admin-pw"
READER, READER_PASSWORD = "reader", "r3ader-pw"
RW_TOKEN, RO_TOKEN = "rw-token-5f0c9a", "ro-token-77d1e2"
SECRETS = (ADMIN_PASSWORD, READER_PASSWORD, RW_TOKEN, RO_TOKEN)
CREDENTIALS: dict[str, Any] = {
    "basic_auth_username": ADMIN,
    "basic_auth_password": ADMIN_PASSWORD,
    "basic_auth_read_only_username": READER,
    "basic_auth_read_only_password": READER_PASSWORD,
    "read_write_tokens": [RW_TOKEN],
    "read_only_tokens": [RO_TOKEN],
}
REALM = 'Basic realm="Restricted area"'
ERROR_TYPE = "application/hal+json;charset=utf-8"
FOR_VERIFICATION = f"/pacts/provider/{PROVIDER}/for-verification"


def basic(user: str, password: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


READ_WRITE = {"basic": basic(ADMIN, ADMIN_PASSWORD), "token": bearer(RW_TOKEN)}
READ_ONLY = {"basic": basic(READER, READER_PASSWORD), "token": bearer(RO_TOKEN)}
WRONG = {
    "wrong password": basic(ADMIN, "nope"),
    "read-only user, write password": basic(READER, ADMIN_PASSWORD),
    "unknown user": basic("mallory", ADMIN_PASSWORD),
    "unknown token": bearer("not-a-token"),
    "token as basic password": basic(ADMIN, RW_TOKEN),
    "malformed basic": {"Authorization": "Basic %%%not-base64"},
    "empty bearer": {"Authorization": "Bearer"},
    "other scheme": {"Authorization": f"Digest {RW_TOKEN}"},
}


@pytest.fixture
def secured(make_broker: Callable[..., LiveBroker]) -> LiveBroker:
    return make_broker(**CREDENTIALS)


def assert_unauthorized(response: http.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == REALM
    assert response.headers["content-type"] == ERROR_TYPE
    assert set(response.json()) == {"error"}
    assert not any(secret in response.text for secret in SECRETS)


def assert_forbidden(response: http.Response) -> None:
    """Valid read-only credentials on a write: 403, and no challenge (other ones will not do)."""
    assert response.status_code == 403, response.text
    assert "www-authenticate" not in response.headers
    assert response.headers["content-type"] == ERROR_TYPE
    assert set(response.json()) == {"error"}
    error = response.json()["error"]
    assert "read-only" in error
    assert "read-write" in error
    assert "\n" not in error
    assert not any(secret in response.text for secret in SECRETS)


def publish(broker: LiveBroker, headers: dict[str, str], version: str = "1") -> http.Response:
    return http.post(
        broker.url + "/contracts/publish",
        json=publish_body(sample_pact(), version, branch="main"),
        headers=headers,
    )


# --- the CLI -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cli",
    [
        pytest.param({"token": RW_TOKEN}, id="token"),
        pytest.param({"username": ADMIN, "password": ADMIN_PASSWORD}, id="basic"),
    ],
)
def test_the_cli_publishes_with_read_write_credentials(
    secured: LiveBroker, pact_file: Path, cli: dict[str, str]
) -> None:
    pact = PactCli(secured.url, **cli)

    published = pact("publish", str(pact_file), "-a", "1.0.0", "--branch", "main")

    assert published.returncode == 0, published.stdout + published.stderr
    assert "Pact successfully published" in published.stdout
    listed = pact("list-pacticipants")
    assert listed.returncode == 0, listed.stdout
    assert CONSUMER in listed.stdout


@pytest.mark.parametrize(
    "cli",
    [
        pytest.param({"token": RO_TOKEN}, id="token"),
        pytest.param({"username": READER, "password": READER_PASSWORD}, id="basic"),
    ],
)
def test_the_cli_reads_but_cannot_write_with_read_only_credentials(
    secured: LiveBroker, pact_file: Path, cli: dict[str, str]
) -> None:
    publish(secured, READ_WRITE["token"])
    pact = PactCli(secured.url, **cli)

    listed = pact("list-pacticipants")
    refused = pact("publish", str(pact_file), "-a", "2.0.0", "--branch", "main")
    created = pact("create-or-update-pacticipant", "--name", "intruder")

    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert CONSUMER in listed.stdout
    assert refused.returncode != 0
    assert "403" in refused.stdout + refused.stderr
    assert created.returncode != 0
    versions = http.get(
        secured.url + f"/pacticipants/{CONSUMER}/versions", headers=READ_ONLY["token"]
    ).json()["_embedded"]["versions"]
    assert [v["number"] for v in versions] == ["1"]
    names = http.get(secured.url + "/pacticipants", headers=READ_ONLY["basic"]).json()
    assert "intruder" not in [p["name"] for p in names["pacticipants"]]


def test_the_cli_without_credentials_is_refused(secured: LiveBroker) -> None:
    result = PactCli(secured.url)("list-pacticipants")

    assert result.returncode != 0
    assert "401" in result.stdout + result.stderr


# --- the verifier --------------------------------------------------------------------------


def test_the_verifier_reads_with_read_only_credentials_but_cannot_publish(
    secured: LiveBroker,
) -> None:
    assert publish(secured, READ_WRITE["basic"]).status_code == 200

    outcome = verify(
        PROVIDER,
        lambda v: (
            v.broker_source(secured.url, username=READER, password=READER_PASSWORD),
            v.set_publish_options(version="p-1", branch="main"),
        ),
    )

    assert outcome.success, outcome.describe()
    assert len(outcome.interactions) == 2
    provider = http.get(secured.url + f"/pacticipants/{PROVIDER}", headers=READ_ONLY["token"])
    assert provider.json()["_embedded"].get("latestVersion") is None  # nothing was published


def test_the_verifier_publishes_with_a_read_write_token(secured: LiveBroker) -> None:
    assert publish(secured, READ_WRITE["token"]).status_code == 200

    outcome = verify(
        PROVIDER,
        lambda v: (
            v.broker_source(secured.url, token=RW_TOKEN),
            v.set_publish_options(version="p-1", branch="main"),
        ),
    )

    assert outcome.success, outcome.describe()
    version = http.get(
        secured.url + f"/pacticipants/{PROVIDER}/versions/p-1", headers=READ_ONLY["basic"]
    )
    assert version.status_code == 200, version.text


# --- rules, over HTTP ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(READ_ONLY))
def test_read_only_credentials_read_and_ask_for_pacts_to_verify(
    secured: LiveBroker, kind: str
) -> None:
    publish(secured, READ_WRITE["basic"])
    headers = READ_ONLY[kind]

    assert http.get(secured.url + "/", headers=headers).status_code == 200
    assert http.get(secured.url + "/pacticipants", headers=headers).status_code == 200
    response = http.post(
        secured.url + FOR_VERIFICATION,
        json={"consumerVersionSelectors": [{"mainBranch": True}]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["_embedded"]["pacts"]) == 1


@pytest.mark.parametrize("kind", sorted(READ_ONLY))
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/contracts/publish", publish_body(sample_pact(), "9")),
        ("POST", "/pacticipants", {"name": "intruder"}),
        ("PATCH", f"/pacticipants/{CONSUMER}", {"mainBranch": "hacked"}),
        ("PUT", f"/pacticipants/{CONSUMER}/versions/1/tags/prod", {}),
        ("DELETE", f"/pacticipants/{CONSUMER}/branches/main", None),
        ("POST", "/environments", {"name": "prod", "production": True}),
        ("POST", "/webhooks", {"request": {"method": "POST", "url": "https://x.example"}}),
    ],
)
def test_read_only_credentials_cannot_write(
    secured: LiveBroker, kind: str, method: str, path: str, body: Any
) -> None:
    publish(secured, READ_WRITE["basic"])

    response = http.request(method, secured.url + path, json=body, headers=READ_ONLY[kind])

    assert_forbidden(response)
    consumer = http.get(secured.url + f"/pacticipants/{CONSUMER}", headers=READ_ONLY[kind])
    assert consumer.json()["mainBranch"] == "main"
    version = http.get(
        secured.url + f"/pacticipants/{CONSUMER}/versions/1", headers=READ_ONLY[kind]
    ).json()
    assert version["_embedded"]["tags"] == []
    assert [b["name"] for b in version["_embedded"]["branchVersions"]] == ["main"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/pacticipants"),
        ("POST", FOR_VERIFICATION),
        ("POST", "/contracts/publish"),
        ("GET", f"/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/latest/badge"),
    ],
)
def test_no_credentials_get_401_with_the_basic_realm(
    secured: LiveBroker, method: str, path: str
) -> None:
    assert_unauthorized(http.request(method, secured.url + path, json={}))


@pytest.mark.parametrize("headers", list(WRONG.values()), ids=list(WRONG))
def test_wrong_credentials_get_401(secured: LiveBroker, headers: dict[str, str]) -> None:
    for method, path in (("GET", "/pacticipants"), ("POST", "/contracts/publish")):
        response = http.request(method, secured.url + path, json={}, headers=headers)
        assert_unauthorized(response)
        assert "not valid" in response.json()["error"]


@pytest.mark.parametrize("check", ["heartbeat", "dependencies"])
def test_health_checks_are_public_by_default(
    make_broker: Callable[..., LiveBroker], check: str
) -> None:
    """A load balancer polls them without credentials; PACT_BROKER_PUBLIC_HEARTBEAT=false
    closes both."""
    public = make_broker(**CREDENTIALS)
    private = make_broker(**CREDENTIALS, public_heartbeat=False)

    answer = http.get(f"{public.url}/diagnostic/status/{check}")
    assert answer.status_code == 200
    assert answer.json()["_links"]["self"]["href"] == f"{public.url}/diagnostic/status/{check}"
    assert_unauthorized(http.get(f"{private.url}/diagnostic/status/{check}"))
    assert_unauthorized(http.get(f"{public.url}/diagnostic/status/other"))


def test_public_read_opens_reads_only(make_broker: Callable[..., LiveBroker]) -> None:
    broker = make_broker(**CREDENTIALS, allow_public_read=True)
    publish(broker, READ_WRITE["token"])

    assert http.get(broker.url + "/pacticipants").status_code == 200
    pacts = http.post(broker.url + FOR_VERIFICATION, json={"consumerVersionSelectors": []})
    assert pacts.status_code == 200, pacts.text
    assert_unauthorized(publish(broker, {}, version="2"))
    assert_unauthorized(http.post(broker.url + "/pacticipants", json={"name": "x"}))
    assert_forbidden(publish(broker, READ_ONLY["basic"], version="2"))
    result = PactCli(broker.url)("list-pacticipants")
    assert result.returncode == 0, result.stdout + result.stderr


def test_public_badges_open_badges_only(make_broker: Callable[..., LiveBroker]) -> None:
    broker = make_broker(**CREDENTIALS, enable_public_badge_access=True)
    publish(broker, READ_WRITE["token"])

    badge = http.get(broker.url + f"/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/latest/badge")

    assert badge.status_code == 200
    assert badge.headers["content-type"].startswith("image/svg+xml")
    assert_unauthorized(http.get(broker.url + "/pacticipants"))
    assert_unauthorized(
        http.get(broker.url + f"/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/latest")
    )
    # Only badge routes are public, not whatever ends in "/badge" (a label, a tag...).
    assert_unauthorized(http.get(broker.url + "/pacticipants/label/badge"))
    assert_unauthorized(http.get(broker.url + f"/pacticipants/{CONSUMER}/labels/badge"))
    for path in (
        f"/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/latest/main/badge",
        f"/pacticipants/{CONSUMER}/branches/main/latest-version/can-i-deploy/"
        "to-environment/production/badge",
        f"/pacticipants/{CONSUMER}/latest-version/main/can-i-deploy/to/prod/badge",
    ):
        assert http.get(broker.url + path).headers["content-type"].startswith("image/svg+xml")


def test_no_auth_configured_means_open(broker: LiveBroker) -> None:
    assert publish(broker, {}).status_code == 200
    assert http.get(broker.url + "/pacticipants").status_code == 200


# --- secrets -------------------------------------------------------------------------------


def test_secrets_never_reach_responses_or_logs(
    secured: LiveBroker, caplog: pytest.LogCaptureFixture, pact_file: Path
) -> None:
    caplog.set_level(logging.DEBUG, logger="contract_broker")
    seen: list[str] = []
    for headers in [*READ_WRITE.values(), *READ_ONLY.values(), *WRONG.values(), {}]:
        for method, path in (
            ("GET", "/"),
            ("GET", f"/pacticipants/{CONSUMER}"),
            ("POST", "/contracts/publish"),
            ("POST", FOR_VERIFICATION),
        ):
            response = http.request(method, secured.url + path, json={}, headers=headers)
            seen.append(response.text + str(response.headers))
    seen.append(publish(secured, READ_WRITE["token"]).text)
    for cli in (
        PactCli(secured.url, token=RW_TOKEN),
        PactCli(secured.url, username=READER, password=READER_PASSWORD),
        PactCli(secured.url, username=ADMIN, password="wrong-pw"),
    ):
        result = cli("publish", str(pact_file), "-a", "3", "--branch", "main")
        seen.append(result.stdout + result.stderr)

    access = [r for r in caplog.records if r.name == "contract_broker.access"]
    assert len(access) >= len(seen) - 3  # one line per request
    for text in [*seen, caplog.text, str(secured.settings), repr(secured.settings)]:
        for secret in SECRETS:
            assert secret not in text
