"""First run against a team broker: ``invoke ci`` on a fresh broker stops with one line naming
``uv run invoke broker-setup``; broker-setup (twice: idempotent) prepares it, then ci runs."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contract_terms import BILLING_SERVICE, PRODUCTION, TEST, USER_SERVICE
from tasks.embedded import embedded_broker
from tasks.webhooks import load_definition

if TYPE_CHECKING:
    from .conftest import Ran

# Where the webhook would send its dispatch: https (a broker's default rule), a closed port.
WEBHOOK_URL = "https://127.0.0.1:9/repos/owner/repo/dispatches"
SETUP_LINE = re.compile(
    r"^ci: the broker at http://127\.0\.0\.1:\d+ is not set up for this pipeline \(missing: "
    r"(?P<missing>[^)]*)\): run `uv run invoke broker-setup` first$"
)


def get(url: str) -> Any:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as response:
        return json.loads(response.read())


def environments(url: str) -> list[tuple[str, bool]]:
    listed = get(url + "/environments")["_embedded"]["environments"]
    return sorted((e["name"], e["production"]) for e in listed)


def test_a_fresh_broker_stops_ci_with_one_line_then_broker_setup_twice_lets_it_run(
    tmp_path: Path, invoke: Callable[..., Ran], pact_cli: Callable[..., Any]
) -> None:
    with embedded_broker(tmp_path / "broker") as url:
        env = {"PACT_BROKER_BASE_URL": url, "PACT_BROKER_HTTP_RETRIES": "1", "COLUMNS": "200"}

        fresh = invoke("ci", env=env)
        assert fresh.exited == 1, fresh.output
        (line,) = fresh.stderr.strip().splitlines()
        found = SETUP_LINE.match(line)
        assert found, line
        uuid = load_definition()["uuid"]
        assert found["missing"] == (
            f"environment {TEST}, environment {PRODUCTION}, {BILLING_SERVICE}'s main branch, "
            f"{USER_SERVICE}'s main branch, the webhook {uuid}"
        )
        # It stopped before anything: nothing was published or created.
        assert "Traceback" not in fresh.output
        assert get(url + "/pacticipants")["_embedded"]["pacticipants"] == []

        # Partly prepared by hand: the line names only what is still missing.
        made = pact_cli(url, "create-environment", "--name", TEST)
        assert made.returncode == 0, made.stdout + made.stderr
        partial = invoke("ci", env=env)
        found = SETUP_LINE.match(partial.stderr.strip())
        assert found, partial.output
        assert found["missing"].startswith(f"environment {PRODUCTION}, {BILLING_SERVICE}'s")

        first = invoke("broker-setup", "--webhook-url", WEBHOOK_URL, env=env)
        assert first.exited == 0, first.output
        assert f"environment {TEST}: exists" in first.stdout
        assert f"environment {PRODUCTION}: created" in first.stdout
        assert f"pacticipant {USER_SERVICE}: main branch main" in first.stdout
        assert f"webhook {uuid}: contract_requiring_verification_published → " in first.stdout

        again = invoke("broker-setup", "--webhook-url", WEBHOOK_URL, env=env)
        assert again.exited == 0, again.output
        assert f"environment {PRODUCTION}: exists" in again.stdout
        assert environments(url) == [(PRODUCTION, True), (TEST, False)]
        for name in (BILLING_SERVICE, USER_SERVICE):
            assert get(f"{url}/pacticipants/{name}")["mainBranch"] == "main"
        webhook = get(f"{url}/webhooks/{uuid}")
        assert webhook["request"]["url"] == WEBHOOK_URL
        assert len(get(url + "/webhooks")["_links"]["pb:webhooks"]) == 1

        ran = invoke("ci", env=env, timeout=300)
        assert ran.exited == 0, ran.output
        assert "broker-setup" not in ran.output
        assert re.search(r"^deploy to production: passed in ", ran.stdout, re.M)


def test_broker_setup_never_prints_a_password_in_the_webhook_url(
    tmp_path: Path, invoke: Callable[..., Ran]
) -> None:
    with embedded_broker(tmp_path / "broker") as url:
        env = {"PACT_BROKER_BASE_URL": url, "PACT_BROKER_HTTP_RETRIES": "1"}
        secret_url = "https://hooks:s3cret-word@ci.example.com/dispatches"
        ran = invoke("broker-setup", "--webhook-url", secret_url, env=env)
        assert ran.exited == 0, ran.output
        assert "→ https://ci.example.com/dispatches" in ran.stdout
        assert "s3cret-word" not in ran.output


def test_broker_setup_needs_a_webhook_url_and_changes_nothing_without_one(
    tmp_path: Path, invoke: Callable[..., Ran]
) -> None:
    with embedded_broker(tmp_path / "broker") as url:
        ran = invoke("broker-setup", env={"PACT_BROKER_BASE_URL": url})

        assert ran.exited == 1, ran.output
        assert ran.output == (
            "broker-setup needs --webhook-url: where the broker sends the verification dispatch "
            "(e.g. https://api.github.com/repos/OWNER/REPO/dispatches)"
        )
        assert environments(url) == []


def test_broker_setup_aims_the_webhook_at_the_repository_on_github(
    tmp_path: Path, invoke: Callable[..., Ran]
) -> None:
    with embedded_broker(tmp_path / "broker") as url:
        env = {"PACT_BROKER_BASE_URL": url, "GITHUB_REPOSITORY": "acme/user-service"}
        ran = invoke("broker-setup", "--main-branch", "trunk", env=env)

        assert ran.exited == 0, ran.output
        webhook = get(f"{url}/webhooks/{load_definition()['uuid']}")
        assert webhook["request"]["url"] == (
            "https://api.github.com/repos/acme/user-service/dispatches"
        )
        assert get(f"{url}/pacticipants/{BILLING_SERVICE}")["mainBranch"] == "trunk"
