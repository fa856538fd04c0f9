"""The pacticipant page: main branch, newest branch heads and where they run, labels,
integrations, and badges with the Markdown to put them in a README."""

from __future__ import annotations

import re
from typing import Any

from contract_broker.hal import Urls
from contract_broker.repositories.matrix import VersionDetails
from contract_broker.services.integration_pages import PacticipantPage
from contract_broker.ui.matrix_page import matrix_url

__all__ = ["can_i_deploy_badge_url", "markdown_badge", "pacticipant_page_context"]

_MARKDOWN_TEXT = re.compile(r"([\\\[\]])")
_NOT_A_LETTER = re.compile(r"[\W_]+")


def _says_more(display_name: str | None, name: str) -> bool:
    """Whether a display name says more than the name ("Billing Service" for billing-service
    does not)."""
    if not display_name:
        return False
    return _NOT_A_LETTER.sub("", display_name).casefold() != _NOT_A_LETTER.sub("", name).casefold()


def markdown_badge(alt: str, image: str, target: str) -> str:
    """``[![alt](image)](target)``, the alt text's brackets escaped for Markdown.

    The URLs are the broker's own, with every name percent-encoded, so they hold no
    parenthesis or space that would end a Markdown link.
    """
    text = _MARKDOWN_TEXT.sub(r"\\\1", alt)
    return f"[![{text}]({image})]({target})"


def can_i_deploy_badge_url(urls: Urls, pacticipant: str, branch: str, environment: str) -> str:
    return urls(
        "pacticipants",
        pacticipant,
        "branches",
        branch,
        "latest-version",
        "can-i-deploy",
        "to-environment",
        environment,
        "badge",
    )


def pacticipant_page_context(view: PacticipantPage, urls: Urls) -> dict[str, Any]:
    pacticipant = view.pacticipant
    name = pacticipant.name
    page_url = urls.pacticipant(name)
    heads = []
    for head in view.heads:
        details = view.details.get(head.version.id) or VersionDetails()
        heads.append(
            {
                "branch": head.branch,
                "main": head.branch == pacticipant.main_branch,
                "version": head.version.number,
                "url": urls.version(name, head.version.number),
                "created": head.version.created_at,
                "tags": [t.name for t in details.tags],
                "environments": details.environments,
            }
        )
    running = [
        {
            "environment": d.environment,
            "how": "deployed",
            "instance": d.application_instance,
            "version": d.version.number,
            "url": urls.version(name, d.version.number),
            "since": d.created_at,
        }
        for d in view.deployed
    ] + [
        {
            "environment": r.environment,
            "how": "released",
            "instance": None,
            "version": r.version.number,
            "url": urls.version(name, r.version.number),
            "since": r.created_at,
        }
        for r in view.released
    ]
    integrations = []
    for item in view.integrations:
        pair = item.pair
        consumer, provider = pair.consumer_name, pair.provider_name
        as_consumer = consumer == name
        other = provider if as_consumer else consumer
        badge = urls.latest_pact(provider, consumer) + "/badge"
        target = matrix_url(urls, provider, consumer)
        integrations.append(
            {
                "role": "consumer of" if as_consumer else "provider for",
                "other": other,
                "other_url": urls.pacticipant(other),
                "matrix_url": target,
                "pact_url": urls.latest_pact(provider, consumer),
                "status": item.status,
                "badge_url": badge,
                "markdown": markdown_badge(f"{consumer}/{provider} pact status", badge, target),
            }
        )
    can_i_deploy = []
    if pacticipant.main_branch:
        for environment in view.environments:
            badge = can_i_deploy_badge_url(urls, name, pacticipant.main_branch, environment.name)
            can_i_deploy.append(
                {
                    "environment": environment,
                    "badge_url": badge,
                    "markdown": markdown_badge(
                        f"can {name} deploy to {environment.name}", badge, page_url
                    ),
                }
            )
    return {
        "pacticipant": name,
        "display_name": pacticipant.display_name
        if _says_more(pacticipant.display_name, name)
        else None,
        "main_branch": pacticipant.main_branch,
        "repository_url": pacticipant.repository_url,
        "labels": view.labels,
        "created": pacticipant.created_at,
        "heads": heads,
        "more_branches": max(0, view.branch_count - len(view.heads)),
        "running": running,
        "integrations": integrations,
        "integration_count": view.integration_count,
        "can_i_deploy": can_i_deploy,
        "environments": bool(view.environments),
    }
