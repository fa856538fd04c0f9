"""The webhook worker: claims due deliveries, sends them, records each attempt, retries.

Deliveries are rows (``triggered_webhooks``). A worker claims a due one with an owner and a
lease (``claimed_by``, ``claimed_until``), renews the lease while sending, and records the
attempt's log and the next step: done, a retry with the Pact Broker's back-off (10 s, 1 min,
2 min, 5 min, 10 min, 20 min), or failure. A claim is taken over only when its lease expired
(its replica died), so replicas starting and stopping never send an event twice; after a
crash a delivery is retried once its lease expires: at least once, never lost.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from contract_broker.db import Database
from contract_broker.models import TriggeredWebhook, Webhook, WebhookExecution, utcnow
from contract_broker.repositories import deliveries as repo
from contract_broker.services.webhook_delivery import Delivery, build_request, send
from contract_broker.settings import Settings

__all__ = ["WebhookWorker"]

log = logging.getLogger("contract_broker.webhooks")

SENDERS = 4
"""Deliveries one worker sends at once (it claims no more than it can send)."""


class WebhookWorker:
    """Delivers due webhooks in the background until stopped."""

    def __init__(
        self, database: Database, settings: Settings, *, poll_seconds: float | None = None
    ) -> None:
        self.database = database
        self.settings = settings
        self.poll_seconds = (
            poll_seconds if poll_seconds is not None else settings.webhook_poll_seconds
        )
        self.lease = timedelta(seconds=settings.webhook_claim_lease_seconds)
        # Unique per process and start: a restarted replica never mistakes old claims for its own.
        self.owner = f"{socket.gethostname()[:30]}/{os.getpid()}/{uuid.uuid4().hex[:12]}"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="webhook")
        self._held: set[int] = set()
        self._held_lock = threading.Lock()
        self._renewed_at = time.monotonic()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="webhook-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish the deliveries being sent, hand back the claimed ones not yet started."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)
        try:
            with self.database.session() as session:
                released = repo.release_claims(session, self.owner, utcnow())
        except Exception:  # the database may be gone; the leases expire on their own
            log.exception("could not release webhook claims; they expire after the lease")
            return
        if released:
            log.info("handed back %d claimed webhook deliveries", released)

    def wake(self) -> None:
        """Look for due deliveries now (called after a commit that queued some)."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._renew()
                for triggered_id in self._claim_due():
                    self._pool.submit(self.deliver, triggered_id)
            except Exception:  # a broken poll must not stop deliveries for good
                log.exception("webhook worker poll failed")
            self._wake.wait(min(self.poll_seconds, self.lease.total_seconds() / 3))
            self._wake.clear()

    def _renew(self) -> None:
        """Extend the leases of deliveries still being sent, a third of a lease at a time."""
        if time.monotonic() - self._renewed_at < self.lease.total_seconds() / 3:
            return
        with self._held_lock:
            held = set(self._held)
        if held:
            with self.database.session() as session:
                repo.renew_claims(session, held, self.owner, utcnow(), self.lease)
        self._renewed_at = time.monotonic()  # only once renewed: a failure is retried next poll

    def _claim_due(self) -> list[int]:
        """Claim as many due deliveries as there are free senders; never one being sent here."""
        with self._held_lock:
            held = set(self._held)
        free = SENDERS - len(held)
        if free <= 0:
            return []
        # Look first in a read transaction: an idle poll takes no write lock.
        with self.database.session(write=False) as session:
            due = [
                i for i in repo.due_ids(session, utcnow(), limit=free + len(held)) if i not in held
            ]
        if not due:
            return []
        claimed = []
        with self.database.session() as session:
            now = utcnow()
            for triggered_id in due[:free]:
                if repo.claim(session, triggered_id, self.owner, now, self.lease):
                    claimed.append(triggered_id)
        with self._held_lock:
            self._held.update(claimed)
        return claimed

    def deliver(self, triggered_id: int) -> None:
        """One attempt for a claimed delivery; records the log and the next step."""
        try:
            self._attempt(triggered_id)
        except Exception:  # e.g. the database went away: the lease expires, then it is retried
            log.exception("webhook delivery %s could not be attempted or recorded", triggered_id)
        finally:
            with self._held_lock:
                self._held.discard(triggered_id)

    def _attempt(self, triggered_id: int) -> None:
        with self.database.session() as session:
            triggered = session.get(TriggeredWebhook, triggered_id)
            if triggered is None or not repo.owns(session, triggered, self.owner):
                return
            webhook = session.get(Webhook, triggered.webhook_id) if triggered.webhook_id else None
            if webhook is None:
                repo.finish(triggered, "failure", None)
                session.add(
                    WebhookExecution(
                        triggered_webhook_id=triggered.id,
                        success=False,
                        logs="The webhook was deleted before delivery.",
                    )
                )
                return
            definition = dict(webhook.request)
            variables = dict(triggered.context.get("variables") or {})
        try:
            outcome = send(build_request(definition, variables), self.settings)
        except Exception as exc:  # never leave a claimed delivery stuck
            log.exception("webhook delivery %s failed unexpectedly", triggered_id)
            outcome = Delivery(False, None, f"Error: {type(exc).__name__}: {exc}")
        self._record(triggered_id, outcome)

    def _record(self, triggered_id: int, outcome: Delivery) -> None:
        schedule = [float(s) for s in self.settings.webhook_retry_schedule]
        with self.database.session() as session:
            triggered = session.get(TriggeredWebhook, triggered_id)
            if triggered is None:
                return
            session.add(
                WebhookExecution(
                    triggered_webhook_id=triggered.id, success=outcome.success, logs=outcome.logs
                )
            )
            if not repo.owns(session, triggered, self.owner):
                # Our lease ran out mid-attempt and another replica took the delivery over:
                # the attempt is logged, the delivery's state is theirs to decide.
                log.warning("webhook delivery %s: claim lost during the attempt", triggered_id)
                return
            triggered.attempts += 1
            if outcome.success:
                repo.finish(triggered, "success", None)
            elif triggered.attempts <= len(schedule):
                delay = timedelta(seconds=schedule[triggered.attempts - 1])
                repo.finish(triggered, "retrying", utcnow() + delay)
            else:
                repo.finish(triggered, "failure", None)
        log.info(
            "webhook delivery %s: %s",
            triggered_id,
            "succeeded" if outcome.success else f"failed (status {outcome.status})",
        )
