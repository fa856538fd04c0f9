"""What the web pages show, each read as one complete view (the pages only render)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from contract_broker.models import (
    DeployedVersion,
    Environment,
    ReleasedVersion,
    Verification,
    Version,
)
from contract_broker.repositories import environments as environment_repo
from contract_broker.repositories import integrations as integration_repo
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.repositories import webhooks as webhook_repo
from contract_broker.services import matrix, pact_diffs
from contract_broker.services.pacticipants import get_version
from contract_broker.services.pacts import PactView, find_pact
from contract_broker.services.webhook_views import TriggeredView, WebhookView, view_of

__all__ = [
    "EnvironmentPage",
    "PactPage",
    "VersionPage",
    "WebhookPage",
    "environments_page",
    "pact_page",
    "version_page",
    "webhooks_page",
]

# The deliveries a webhook's page lists (the API's log lists up to 100).
PAGE_DELIVERIES = 20


@dataclass(frozen=True)
class PactPage:
    """A pact with its previous distinct version, the diff from it, and its verifications."""

    pact: PactView
    previous: PactView | None
    diff: list[str]
    verifications: list[Verification]
    branches: list[str]
    tags: list[str]


@dataclass(frozen=True)
class VersionPage:
    """A version, the can-i-deploy answer for each environment, and its matrix."""

    version: Version
    answers: list[tuple[Environment, matrix.Summary]]
    matrix: matrix.MatrixResult
    tags: list[str]
    branches: list[str]


@dataclass(frozen=True)
class EnvironmentPage:
    environment: Environment
    deployed: list[DeployedVersion]
    released: list[ReleasedVersion]


@dataclass(frozen=True)
class WebhookPage:
    webhook: WebhookView
    deliveries: list[TriggeredView]


def _names(session: Session, version_id: int) -> tuple[list[str], list[str]]:
    """The branches and tags of a version."""
    branches = pacticipant_repo.branches_of_versions(session, [version_id])[version_id]
    tags = pacticipant_repo.tags_of_versions(session, [version_id])[version_id]
    return [b.branch_name for b in branches], [t.name for t in tags]


def pact_page(
    session: Session, provider_name: str, consumer_name: str, version: str | None = None
) -> PactPage:
    """A version's pact (None: the latest)."""
    view = find_pact(session, provider_name, consumer_name, version=version)
    previous, diff = pact_diffs.diff_with_previous(session, view)
    verifications = integration_repo.verifications_of(session, view.pact_version.id)
    branches, tags = _names(session, view.consumer_version.id)
    return PactPage(view, previous, diff, verifications, branches, tags)


def version_page(session: Session, pacticipant_name: str, number: str) -> VersionPage:
    """Can-i-deploy per environment and the matrix rows, as the CLI would get them."""
    version = get_version(session, pacticipant_name, number)
    specified = (matrix.Selector(pacticipant=version.pacticipant.name, version=version.number),)
    answers = []
    for environment in environment_repo.list_environments(session):
        query = matrix.MatrixQuery(
            selectors=specified,
            options=matrix.Options(latestby="cvpv", environment=environment.name),
        )
        answers.append((environment, matrix.find(session, query).summary))
    everything = matrix.find(
        session, matrix.MatrixQuery(selectors=specified, options=matrix.Options(latestby="cvpv"))
    )
    tags = pacticipant_repo.tags_of_versions(session, [version.id])[version.id]
    branches = pacticipant_repo.branches_of_versions(session, [version.id])[version.id]
    return VersionPage(
        version,
        answers,
        everything,
        [t.name for t in tags],
        [b.branch_name for b in branches],
    )


def environments_page(session: Session) -> list[EnvironmentPage]:
    """Every environment with what is deployed and released to it now."""
    shown = []
    for environment in environment_repo.list_environments(session):
        deployed = environment_repo.currently_deployed(session, environment_id=environment.id)
        released = environment_repo.currently_released(session, environment_id=environment.id)
        shown.append(EnvironmentPage(environment, list(deployed), list(released)))
    return shown


def webhooks_page(session: Session) -> list[WebhookPage]:
    """Every webhook with its latest deliveries and their attempts."""
    shown = []
    for webhook in webhook_repo.list_webhooks(session):
        view = view_of(session, webhook)
        deliveries = [
            TriggeredView(triggered, list(webhook_repo.executions_of(session, triggered.id)))
            for triggered in webhook_repo.triggered_for_webhook(
                session, webhook.uuid, limit=PAGE_DELIVERIES
            )
        ]
        shown.append(WebhookPage(view, deliveries))
    return shown
