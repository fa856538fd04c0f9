"""The one provider-verification function, used by the verify tiers and by the tests."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pact import Verifier

from contract_terms import USER_SERVICE
from user_service_contract.report import VerificationReport
from user_service_contract.server import HOST, running
from user_service_contract.sources import (
    BrokerSource,
    LocalPacts,
    PactSource,
    PactUrl,
    SourceError,
)
from user_service_contract.state_endpoint import STATE_CHANGE_PATH, app_with_states
from user_service_contract.states import KNOWN_STATES
from user_service_contract.variants import Variant

__all__ = ["PublishOptions", "verify_provider"]

Echo = Callable[[str], None]


@dataclass(frozen=True)
class PublishOptions:
    """Publish the results to the broker as this provider version."""

    version: str
    branch: str | None = None
    build_url: str | None = None
    tags: tuple[str, ...] = ()


def verify_provider(
    source: PactSource,
    *,
    provider_url: str | None = None,
    state_change_url: str | None = None,
    variant: Variant | None = None,
    publish: PublishOptions | None = None,
    provider: str = USER_SERVICE,
    echo: Echo = print,
) -> VerificationReport:
    """Replay every interaction of ``source`` against the provider and report what failed.

    Without ``provider_url`` the real app is started in-process on a free loopback port (as
    ``variant`` if given), with provider states applied to its repository. With ``provider_url``
    an already running provider is verified; states go to ``state_change_url``, or are skipped
    with a warning when there is none.
    """
    if publish is not None and isinstance(source, LocalPacts):
        raise SourceError("results can only be published for pacts fetched from a broker")
    if isinstance(source, LocalPacts):
        unknown = source.provider_states(provider) - KNOWN_STATES - {""}
        if unknown:
            return VerificationReport(
                problems=[
                    f"the pacts use provider state(s) user-service does not implement: "
                    f"{', '.join(sorted(repr(s) for s in unknown))}"
                ]
            )

    if provider_url is not None:
        if variant is not None:
            raise SourceError("a breaking variant only applies to the in-process provider")
        if state_change_url is None:
            echo(
                "warning: no --state-change-url given: provider states are not set up, "
                "interactions run against whatever data the provider has"
            )
        return _run(
            source,
            provider_url=provider_url,
            state_change_url=state_change_url,
            publish=publish,
            provider=provider,
            problems=[],
        )

    app, states = app_with_states(variant)
    with running(app) as url:
        return _run(
            source,
            provider_url=url,
            state_change_url=url + STATE_CHANGE_PATH,
            publish=publish,
            provider=provider,
            problems=states.problems,
        )


def _run(
    source: PactSource,
    *,
    provider_url: str,
    state_change_url: str | None,
    publish: PublishOptions | None,
    provider: str,
    problems: list[str],
) -> VerificationReport:
    verifier = Verifier(provider, host=_host_of(provider_url)).add_transport(url=provider_url)
    verifier.set_coloured_output(enabled=sys.stdout.isatty())
    if state_change_url is not None:
        verifier.state_handler(state_change_url, body=True, teardown=True)
    _add_source(verifier, source, provider)
    if publish is not None:
        verifier.set_publish_options(
            version=publish.version,
            url=publish.build_url,
            branch=publish.branch,
            tags=list(publish.tags),
        )
    # verify() raises a RuntimeError that says nothing useful; the results tell what failed.
    with contextlib.suppress(RuntimeError):
        verifier.verify()
    # ``problems`` is the live list the state handlers record into: read it after the run.
    return VerificationReport.from_results(
        verifier.results, problems=problems, output=verifier.output(strip_ansi=True)
    )


def _add_source(verifier: Verifier, source: PactSource, provider: str) -> None:
    if isinstance(source, LocalPacts):
        for path in source.pact_files(provider):
            verifier.add_source(path)
    elif isinstance(source, PactUrl):
        token = os.environ.get("PACT_BROKER_TOKEN")
        if token:
            verifier.add_source(source.url, token=token)
        else:
            verifier.add_source(
                source.url,
                username=os.environ.get("PACT_BROKER_USERNAME") or None,
                password=os.environ.get("PACT_BROKER_PASSWORD") or None,
            )
    elif isinstance(source, BrokerSource):
        builder = verifier.broker_source(source.broker_url, selector=True)
        if source.include_pending:
            builder.include_pending()
        if source.wip_since is not None:
            builder.include_wip_since(source.wip_since)
        if source.provider_branch:
            builder.provider_branch(source.provider_branch)
        for selector in source.selectors:
            builder.consumer_version(**_snake_case(selector))
        builder.build()


def _snake_case(selector: dict[str, Any]) -> dict[str, Any]:
    """``{"mainBranch": True}`` → ``{"main_branch": True}`` (pact-python's keyword names)."""
    return {
        "".join(f"_{c.lower()}" if c.isupper() else c for c in key): value
        for key, value in selector.items()
    }


def _host_of(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or HOST
