"""Badges: SVG drawn by the broker, with the Pact Broker's states and colours."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.support.cli import PactCli
from tests.support.server import LiveBroker

PACT_BADGE = "/pacts/provider/user-service/consumer/billing-service/latest/badge"
DEPLOY_BADGE = (
    "/pacticipants/billing-service/branches/main/latest-version/can-i-deploy/"
    "to-environment/production/badge"
)
TAG_BADGE = "/pacticipants/billing-service/latest-version/dev/can-i-deploy/to/prod/badge"
GREEN, RED, ORANGE, GREY = "#4c1", "#e05d44", "#fe7d37", "#9f9f9f"


def badge(broker: LiveBroker, path: str) -> str:
    response = httpx.get(broker.url + path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["cache-control"] == "no-cache"
    return response.text


def verify(broker: LiveBroker, version: str, *, success: bool, provider_version: str) -> None:
    pact = httpx.get(
        f"{broker.url}/pacts/provider/user-service/consumer/billing-service/version/{version}"
    ).json()
    href = pact["_links"]["pb:publish-verification-results"]["href"]
    response = httpx.post(
        href, json={"success": success, "providerApplicationVersion": provider_version}
    )
    assert response.status_code == 201


def publish(pact: PactCli, pact_file: Path, version: str, *tags: str) -> None:
    tag_args = [arg for tag in tags for arg in ("--tag", tag)]
    pact.ok(
        "publish", str(pact_file), "--consumer-app-version", version, "--branch", "main", *tag_args
    )


def tag(pact: PactCli, pacticipant: str, version: str, name: str) -> None:
    pact.ok("create-version-tag", "--pacticipant", pacticipant, "--version", version, "--tag", name)


def test_pact_badge_states(
    broker: LiveBroker, pact: PactCli, pact_file: Path, tmp_path: Path
) -> None:
    unknown = badge(broker, PACT_BADGE)
    assert "unknown" in unknown
    assert GREY in unknown

    publish(pact, pact_file, "1.0.0")
    assert "unknown" in badge(broker, PACT_BADGE)

    verify(broker, "1.0.0", success=True, provider_version="p1")
    verified = badge(broker, PACT_BADGE)
    assert "verified" in verified
    assert GREEN in verified
    assert "billing-service/user-service pact" in verified

    changed = json.loads(pact_file.read_text())
    changed["interactions"][0]["description"] = "a changed interaction"
    changed_file = tmp_path / pact_file.name
    changed_file.write_text(json.dumps(changed))
    publish(pact, changed_file, "1.1.0")
    stale = badge(broker, PACT_BADGE)
    assert "changed" in stale
    assert ORANGE in stale

    verify(broker, "1.1.0", success=False, provider_version="p2")
    failed = badge(broker, PACT_BADGE)
    assert "failed" in failed
    assert RED in failed


@pytest.mark.parametrize(
    ("label", "shown"),
    [("consumer", "billing-service"), ("provider", "user-service"), ("contract", "contract")],
)
def test_pact_badge_label(
    broker: LiveBroker, pact: PactCli, pact_file: Path, label: str, shown: str
) -> None:
    publish(pact, pact_file, "1.0.0")
    svg = badge(broker, f"{PACT_BADGE}?label={label}")
    assert f">{shown}<" in svg
    assert "pact<" not in svg


def test_can_i_deploy_badge(broker: LiveBroker, pact: PactCli, pact_file: Path) -> None:
    assert "environment not found" not in badge(broker, DEPLOY_BADGE)  # pacticipant first
    assert "pacticipant not found" in badge(broker, DEPLOY_BADGE)
    publish(pact, pact_file, "1.0.0")
    assert "environment not found" in badge(broker, DEPLOY_BADGE)
    pact.ok("create-environment", "--name", "production", "--production")

    refused = badge(broker, DEPLOY_BADGE)
    assert "main to production" in refused
    assert RED in refused

    pact.ok(
        "create-or-update-version",
        "--pacticipant",
        "user-service",
        "--version",
        "p1",
        "--branch",
        "main",
    )
    pact.ok(
        "record-deployment",
        "--pacticipant",
        "user-service",
        "--version",
        "p1",
        "--environment",
        "production",
    )
    verify(broker, "1.0.0", success=True, provider_version="p1")
    allowed = badge(broker, DEPLOY_BADGE)
    assert "main to production" in allowed
    assert GREEN in allowed
    assert ">deploy?<" in badge(broker, DEPLOY_BADGE + "?label=deploy%3F")
    missing_branch = DEPLOY_BADGE.replace("/branches/main/", "/branches/nope/")
    assert "branch not found" in badge(broker, missing_branch)


def test_can_i_deploy_tag_to_tag_badge(
    broker: LiveBroker, pact: PactCli, pact_file: Path, tmp_path: Path
) -> None:
    """The latest version tagged ``dev``, against the latest versions tagged ``prod`` of the
    pacticipants it integrates with (the Pact Broker's tag-to-tag can-i-deploy badge)."""
    missing = badge(broker, TAG_BADGE)
    assert ">pacticipant not found<" in missing
    assert GREY in missing

    publish(pact, pact_file, "1.0.0", "dev")
    missing_tag = badge(broker, TAG_BADGE.replace("/latest-version/dev/", "/latest-version/qa/"))
    assert ">version not found<" in missing_tag
    assert GREY in missing_tag

    no_provider_in_prod = badge(broker, TAG_BADGE)
    assert ">dev to prod<" in no_provider_in_prod
    assert RED in no_provider_in_prod  # unknown is not deployable

    verify(broker, "1.0.0", success=True, provider_version="p1")
    assert RED in badge(broker, TAG_BADGE)  # p1 is not tagged prod yet
    tag(pact, "user-service", "p1", "prod")
    allowed = badge(broker, TAG_BADGE)
    assert ">can-i-deploy<" in allowed
    assert ">dev to prod<" in allowed
    assert GREEN in allowed
    assert ">deploy?<" in badge(broker, TAG_BADGE + "?label=deploy%3F")

    changed = json.loads(pact_file.read_text())
    changed["interactions"][0]["description"] = "a changed interaction"
    changed_file = tmp_path / pact_file.name
    changed_file.write_text(json.dumps(changed))
    publish(pact, changed_file, "1.1.0", "dev")  # the latest dev version: not verified by p1
    assert RED in badge(broker, TAG_BADGE)

    verify(broker, "1.1.0", success=True, provider_version="p2")
    tag(pact, "user-service", "p2", "prod")
    assert GREEN in badge(broker, TAG_BADGE)

    verify(broker, "1.1.0", success=False, provider_version="p3")
    tag(pact, "user-service", "p3", "prod")
    assert RED in badge(broker, TAG_BADGE)  # the latest prod provider version fails it


def test_the_advertised_badge_templates_lead_to_badges(
    broker: LiveBroker, pact: PactCli, pact_file: Path
) -> None:
    publish(pact, pact_file, "1.0.0", "dev")
    pact.ok("create-environment", "--name", "production")
    links = httpx.get(f"{broker.url}/pacticipants/billing-service").json()["_links"]
    by_tag = (
        links["pb:can-i-deploy-badge"]["href"]
        .replace("{tag}", "dev")
        .replace("{environmentTag}", "prod")
    )
    by_branch = (
        links["pb:can-i-deploy-branch-to-environment-badge"]["href"]
        .replace("{branch}", "main")
        .replace("{environment}", "production")
    )
    assert ">dev to prod<" in badge(broker, by_tag.removeprefix(broker.url))
    assert ">main to production<" in badge(broker, by_branch.removeprefix(broker.url))


def test_badges_can_be_public_when_auth_is_on(make_broker, pact_file: Path) -> None:  # type: ignore[no-untyped-def]
    private = make_broker(read_write_tokens=["t0ken"])
    assert httpx.get(private.url + PACT_BADGE).status_code == 401
    public = make_broker(read_write_tokens=["t0ken"], enable_public_badge_access=True)
    assert httpx.get(public.url + PACT_BADGE).status_code == 200
    assert httpx.get(public.url + "/pacticipants").status_code == 401
