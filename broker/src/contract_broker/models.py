"""The broker's tables as typed SQLAlchemy 2.0 models.

Version order is creation order: ``versions.id`` grows with every new version, so "latest" means
"highest id" for versions, branch heads and tags alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "Base",
    "Branch",
    "BranchVersion",
    "DeployedVersion",
    "Environment",
    "PactPublication",
    "PactVersion",
    "Pacticipant",
    "PacticipantLabel",
    "ReleasedVersion",
    "Tag",
    "TriggeredWebhook",
    "Verification",
    "Version",
    "Webhook",
    "WebhookExecution",
    "utcnow",
]


def utcnow() -> datetime:
    """Timezone-aware now, the one clock every row uses."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


Timestamp = DateTime(timezone=True)
NAME = 255


class Pacticipant(Base):
    __tablename__ = "pacticipants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(NAME))
    repository_url: Mapped[str | None] = mapped_column(Text)
    repository_name: Mapped[str | None] = mapped_column(String(NAME))
    repository_namespace: Mapped[str | None] = mapped_column(String(NAME))
    main_branch: Mapped[str | None] = mapped_column(String(NAME))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class PacticipantLabel(Base):
    """A label on a pacticipant (``PUT /pacticipants/{name}/labels/{label}``)."""

    __tablename__ = "labels"
    __table_args__ = (
        UniqueConstraint("pacticipant_id", "name", name="uq_labels_pacticipant_name"),
        Index("ix_labels_name", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pacticipant_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Version(Base):
    __tablename__ = "versions"
    __table_args__ = (
        UniqueConstraint("pacticipant_id", "number", name="uq_versions_pacticipant_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pacticipant_id: Mapped[int] = mapped_column(
        ForeignKey("pacticipants.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(NAME))
    build_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)

    pacticipant: Mapped[Pacticipant] = relationship(lazy="joined", innerjoin=True)


class Branch(Base):
    __tablename__ = "branches"
    __table_args__ = (
        UniqueConstraint("pacticipant_id", "name", name="uq_branches_pacticipant_name"),
        Index("ix_branches_head_version", "head_version_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pacticipant_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    # The branch's newest version (max branch_versions.version_id), kept by database triggers
    # (migration 0006): read it in SQL; a loaded object's value may predate its last insert.
    head_version_id: Mapped[int | None] = mapped_column(Integer)


class BranchVersion(Base):
    """A version's membership of a branch; the branch head is its highest ``version_id``."""

    __tablename__ = "branch_versions"
    __table_args__ = (
        UniqueConstraint("branch_id", "version_id", name="uq_branch_versions_branch_version"),
        Index("ix_branch_versions_branch_version", "branch_id", "version_id"),
        Index("ix_branch_versions_version", "version_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    pacticipant_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    branch_name: Mapped[str] = mapped_column(String(NAME))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (
        UniqueConstraint("version_id", "name", name="uq_tags_version_name"),
        Index("ix_tags_pacticipant_name_version", "pacticipant_id", "name", "version_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    pacticipant_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class PactVersion(Base):
    """One distinct pact content per consumer/provider pair; verifications belong to it."""

    __tablename__ = "pact_versions"
    __table_args__ = (
        UniqueConstraint("consumer_id", "provider_id", "sha", name="uq_pact_versions_sha"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("pacticipants.id", ondelete="CASCADE"), index=True
    )
    sha: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class PactPublication(Base):
    """A consumer version's pact with a provider (one per pair; a merge replaces its content)."""

    __tablename__ = "pact_publications"
    __table_args__ = (
        UniqueConstraint(
            "consumer_version_id", "provider_id", name="uq_pact_publications_version_provider"
        ),
        Index(
            "ix_pact_publications_provider_consumer",
            "provider_id",
            "consumer_id",
            "consumer_version_id",
        ),
        Index("ix_pact_publications_pact_version", "pact_version_id"),
        Index("ix_pact_publications_provider_created", "provider_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer_version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    consumer_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    pact_version_id: Mapped[int] = mapped_column(ForeignKey("pact_versions.id", ondelete="CASCADE"))
    revision_number: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)

    consumer_version: Mapped[Version] = relationship(lazy="joined", innerjoin=True)
    pact_version: Mapped[PactVersion] = relationship(lazy="raise")


class ProviderContract(Base):
    """A provider version's OpenAPI document (bi-directional contract testing): immutable, one
    per provider version, with the provider's own test of it (its self-verification)."""

    __tablename__ = "provider_contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("pacticipants.id", ondelete="CASCADE"), index=True
    )
    provider_version_id: Mapped[int] = mapped_column(
        ForeignKey("versions.id", ondelete="CASCADE"), unique=True
    )
    sha: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(NAME))
    specification: Mapped[str] = mapped_column(String(NAME))
    self_verification_success: Mapped[bool | None] = mapped_column(Boolean)
    #: What the CLI sent as selfVerificationResults (content decoded), or None.
    self_verification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    build_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Verification(Base):
    """A verification of a pact's content by a provider version: the provider replayed it, or
    (``provider_contract_id`` set) the broker compared it with that version's provider
    contract, at most once per pact content and provider version."""

    __tablename__ = "verifications"
    __table_args__ = (
        # A contract's comparisons, newest first (migration 0009).
        Index(
            "ix_verifications_provider_contract",
            "provider_contract_id",
            "id",
            sqlite_where=text("provider_contract_id IS NOT NULL"),
            postgresql_where=text("provider_contract_id IS NOT NULL"),
        ),
        Index(
            "uq_verifications_comparison",
            "pact_version_id",
            "provider_version_id",
            unique=True,
            sqlite_where=text("provider_contract_id IS NOT NULL"),
            postgresql_where=text("provider_contract_id IS NOT NULL"),
        ),
        Index(
            "ix_verifications_pact_version_provider_version",
            "pact_version_id",
            "provider_version_id",
        ),
        Index("ix_verifications_provider_version", "provider_version_id"),
        # Pending: a success on another branch before the provider's branch was created.
        Index("ix_verifications_pact_version_created", "pact_version_id", "created_at"),
        # Numbers are per pact version and never shared: .../verification-results/N is one row.
        Index("uq_verifications_pact_version_number", "pact_version_id", "number", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pact_version_id: Mapped[int] = mapped_column(ForeignKey("pact_versions.id", ondelete="CASCADE"))
    provider_version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    consumer_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    success: Mapped[bool] = mapped_column(Boolean)
    build_url: Mapped[str | None] = mapped_column(Text)
    provider_branch: Mapped[str | None] = mapped_column(String(NAME))
    test_results: Mapped[Any | None] = mapped_column(JSON)
    verified_by: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    wip: Mapped[bool] = mapped_column(Boolean, default=False)
    pending: Mapped[bool | None] = mapped_column(Boolean)
    provider_contract_id: Mapped[int | None] = mapped_column(
        ForeignKey("provider_contracts.id", ondelete="CASCADE")
    )
    execution_date: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    provider_version: Mapped[Version] = relationship(lazy="joined", innerjoin=True)


class Environment(Base):
    __tablename__ = "environments"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(NAME), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(NAME))
    production: Mapped[bool] = mapped_column(Boolean, default=False)
    contacts: Mapped[list[Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class DeployedVersion(Base):
    """A version running in an environment; ``undeployed_at`` is set when it stops."""

    __tablename__ = "deployed_versions"
    __table_args__ = (
        Index(
            "ix_deployed_versions_env_pacticipant",
            "environment_id",
            "pacticipant_id",
            "undeployed_at",
        ),
        Index("ix_deployed_versions_version", "version_id"),
        # What is deployed now, anywhere (migration 0007).
        Index(
            "ix_deployed_versions_current",
            "version_id",
            postgresql_where=text("undeployed_at IS NULL"),
            sqlite_where=text("undeployed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    pacticipant_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    application_instance: Mapped[str | None] = mapped_column(String(NAME))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    undeployed_at: Mapped[datetime | None] = mapped_column(Timestamp)

    version: Mapped[Version] = relationship(lazy="joined", innerjoin=True)
    environment: Mapped[Environment] = relationship(lazy="joined", innerjoin=True)


class ReleasedVersion(Base):
    """A released version of an environment; ``support_ended_at`` is set when support ends."""

    __tablename__ = "released_versions"
    __table_args__ = (
        UniqueConstraint("version_id", "environment_id", name="uq_released_versions"),
        Index("ix_released_versions_env_pacticipant", "environment_id", "pacticipant_id"),
        # What is released and supported now, anywhere (migration 0007).
        Index(
            "ix_released_versions_current",
            "version_id",
            postgresql_where=text("support_ended_at IS NULL"),
            sqlite_where=text("support_ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    pacticipant_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    support_ended_at: Mapped[datetime | None] = mapped_column(Timestamp)

    version: Mapped[Version] = relationship(lazy="joined", innerjoin=True)
    environment: Mapped[Environment] = relationship(lazy="joined", innerjoin=True)


class Webhook(Base):
    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    consumer_id: Mapped[int | None] = mapped_column(
        ForeignKey("pacticipants.id", ondelete="CASCADE")
    )
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("pacticipants.id", ondelete="CASCADE")
    )
    # Instead of a name, a webhook may select pacticipants by label ({"label": "..."}).
    consumer_label: Mapped[str | None] = mapped_column(String(NAME))
    provider_label: Mapped[str | None] = mapped_column(String(NAME))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    events: Mapped[list[Any]] = mapped_column(JSON)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class TriggeredWebhook(Base):
    """A delivery owed to a webhook: persisted so a restart loses nothing pending.

    A replica delivering it holds a claim: ``claimed_by`` (the worker's id) until
    ``claimed_until`` (a lease it renews while sending). Only an expired claim is taken over.
    """

    __tablename__ = "triggered_webhooks"
    __table_args__ = (Index("ix_triggered_webhooks_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id", ondelete="SET NULL"))
    webhook_uuid: Mapped[str] = mapped_column(String(64), index=True)
    event_name: Mapped[str] = mapped_column(String(NAME))
    context: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(Timestamp)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class WebhookExecution(Base):
    """One delivery attempt and its (redacted) log."""

    __tablename__ = "webhook_executions"

    id: Mapped[int] = mapped_column(primary_key=True)
    triggered_webhook_id: Mapped[int] = mapped_column(
        ForeignKey("triggered_webhooks.id", ondelete="CASCADE"), index=True
    )
    success: Mapped[bool] = mapped_column(Boolean)
    logs: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
