"""The pact CLI's failures as one line, and the broker settings the tasks read."""

from __future__ import annotations

import os

import pytest
from invoke.exceptions import Exit

from tasks.brokercli import (
    BASE_URL,
    CREDENTIALS,
    broker_url,
    cli_env,
    one_line_failure,
    pointing_at,
    redact,
    retries_args,
)

BROKER = "http://127.0.0.1:9292"

# What pact-python-cli 0.10.9 printed in each situation (seen by running it).
UNREACHABLE = (
    "❌ Failed to access pact broker path '' - error sending request for url "
    "(http://127.0.0.1:1/). URL: 'http://127.0.0.1:1'"
)
UNREACHABLE_TWICE = (
    "❌ IO Error - Failed to access pact broker path 'http://127.0.0.1:1/matrix' - error sending "
    "request for url (http://127.0.0.1:1/matrix). URL: 'http://127.0.0.1:1'\n"
    "❌ Failed to access pact broker path 'http://127.0.0.1:1/matrix' - error sending request "
    "for url (http://127.0.0.1:1/matrix). URL: 'http://127.0.0.1:1'"
)
NO_ENVIRONMENT = "❌ Environment staging does not exist\n❌ ❌ Environment staging does not exist"
NO_VERSION = (
    "❌ Request to pact broker path 'http://127.0.0.1:9292/pacticipants/billing-service/versions/"
    "nope' failed: 404 Not Found. URL: 'http://127.0.0.1:9292'"
)
UNAUTHORISED = "❌ Authentication failed: 401 Unauthorized. URL: 'http://127.0.0.1:9292'"
OTHER = (
    "❌ Link/Resource was not found - Request to pact broker path '/matrix' failed: 404\n"
    "❌ Request to pact broker path '/matrix' failed: 404"
)


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        pytest.param(
            UNREACHABLE,
            f"pact broker publish failed: cannot reach the broker at {BROKER}: is it running, "
            "and is PACT_BROKER_BASE_URL right?",
            id="unreachable",
        ),
        pytest.param(
            UNREACHABLE_TWICE,
            f"pact broker publish failed: cannot reach the broker at {BROKER}: is it running, "
            "and is PACT_BROKER_BASE_URL right?",
            id="unreachable-twice",
        ),
        pytest.param(
            NO_ENVIRONMENT,
            f"pact broker publish failed: environment 'staging' does not exist in the broker at "
            f"{BROKER}: create it with `uv run pact broker create-environment --name staging`",
            id="unknown-environment",
        ),
        pytest.param(
            NO_VERSION,
            f"pact broker publish failed: the broker at {BROKER} does not know that pacticipant "
            "version: publish it first (`uv run invoke publish`) or check "
            "--pacticipant/--version",
            id="unknown-version",
        ),
        pytest.param(
            UNAUTHORISED,
            f"pact broker publish failed: the broker at {BROKER} refused the credentials: set "
            "PACT_BROKER_TOKEN, or PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD",
            id="unauthorised",
        ),
        pytest.param(
            OTHER,
            "pact broker publish failed: Link/Resource was not found - Request to pact broker "
            "path '/matrix' failed: 404",
            id="anything-else-deduplicated",
        ),
        pytest.param("", "pact broker publish failed: no output", id="silent"),
    ],
)
def test_one_line_failure(output: str, expected: str) -> None:
    assert one_line_failure("publish", output, base_url=BROKER) == expected


def test_a_failure_never_shows_a_password_from_a_url() -> None:
    output = "❌ failed: 500 for 'https://me:s3cret@broker.example/pacts'"

    line = one_line_failure("publish", output, base_url="https://me:s3cret@broker.example")

    assert "s3cret" not in line
    assert "https://broker.example/pacts" in line


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://broker.example/x", "https://broker.example/x"),
        ("https://me:pw@broker.example:8443/x", "https://broker.example:8443/x"),
        ("http://token@broker.example", "http://broker.example"),
    ],
)
def test_redact(url: str, expected: str) -> None:
    assert redact(url) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "publish needs a broker: export PACT_BROKER_BASE_URL=https://your-broker"),
        ("broker.example", "PACT_BROKER_BASE_URL must be an http(s) URL, got 'broker.example'"),
        ("https://me:pw@broker.example", "PACT_BROKER_BASE_URL must not contain credentials"),
    ],
)
def test_broker_url_refuses_what_it_cannot_use(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("PACT_BROKER_BASE_URL", value)

    with pytest.raises(Exit) as raised:
        broker_url("publish")

    assert raised.value.message is not None
    assert raised.value.message.startswith(message)
    assert "pw" not in raised.value.message


def test_broker_url_names_the_alternative(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PACT_BROKER_BASE_URL", raising=False)

    with pytest.raises(Exit, match=r"provider-verify needs --pact-dir DIR or a broker"):
        broker_url("provider-verify", instead="--pact-dir DIR")


@pytest.mark.parametrize(("value", "expected"), [("", []), ("1", ["--retries", "1"])])
def test_retries_args(value: str, expected: list[str]) -> None:
    assert retries_args(value) == expected


def test_retries_must_be_a_number() -> None:
    with pytest.raises(Exit, match="--retries must be a whole number, got 'x'"):
        retries_args("x")


def test_pointing_at_sets_the_url_without_credentials_and_restores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PACT_BROKER_BASE_URL", "https://team-broker.example")
    monkeypatch.setenv("PACT_BROKER_TOKEN", "team-token")
    monkeypatch.delenv("PACT_BROKER_USERNAME", raising=False)

    with pointing_at("http://127.0.0.1:1234"):
        inside = {name: os.environ.get(name) for name in (BASE_URL, *CREDENTIALS)}

    assert inside == {
        "PACT_BROKER_BASE_URL": "http://127.0.0.1:1234",
        "PACT_BROKER_TOKEN": None,
        "PACT_BROKER_USERNAME": None,
        "PACT_BROKER_PASSWORD": None,
    }
    assert os.environ["PACT_BROKER_BASE_URL"] == "https://team-broker.example"
    assert os.environ["PACT_BROKER_TOKEN"] == "team-token"
    assert "PACT_BROKER_USERNAME" not in os.environ


@pytest.mark.parametrize(
    ("env_url", "args", "trusted"),
    [
        ("http://127.0.0.1:9292", (), False),
        ("http://localhost:9292/", (), False),
        ("http://[::1]:9292", (), False),
        ("https://127.0.0.1:9292", (), True),
        ("http://broker.example.com", (), True),
        ("", ("--broker-base-url", "http://127.0.0.1:9"), False),
        ("", ("--broker-base-url=http://127.0.0.1:9",), False),
        ("", ("-b", "http://127.0.0.1:9"), False),
        # the URL on the command line wins over the environment's, as in the CLI
        ("http://127.0.0.1:9292", ("--broker-base-url", "https://broker.example.com"), True),
        ("http://127.0.0.1:9292", ("-b", "https://broker.example.com"), True),
        ("https://broker.example.com", ("--broker-base-url",), True),
    ],
)
def test_the_cli_loads_no_trust_store_only_for_a_plain_http_broker_on_this_machine(
    monkeypatch: pytest.MonkeyPatch, env_url: str, args: tuple[str, ...], trusted: bool
) -> None:
    monkeypatch.setenv(BASE_URL, env_url)
    monkeypatch.setenv("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv("SSL_CERT_DIR", "/etc/ssl/certs")

    env = cli_env(args)

    if trusted:
        assert env["SSL_CERT_FILE"] == "/etc/ssl/certs/ca-certificates.crt"
        assert env["SSL_CERT_DIR"] == "/etc/ssl/certs"
    else:
        assert env["SSL_CERT_FILE"] == os.devnull
        assert "SSL_CERT_DIR" not in env
