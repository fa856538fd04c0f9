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
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from contract_broker.db import Database
from contract_broker.models import TriggeredWebhook, Webhook, WebhookExecution, utcnow
from contract_broker.repositories import deliveries as repo
from contract_broker.services.webhook_delivery import Delivery, build_request, send
from contract_broker.settings import Settings

__all__ = ["WebhookWorker"]

log = logging.getLogger("contract_broker.webhooks")


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
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook")

    def start(self) -> None:
        with self.database.session() as session:
            resumed = repo.release_stale_claims(session)
        if resumed:
            log.info("resuming %d interrupted webhook deliveries", resumed)
        self._thread = threading.Thread(target=self._loop, name="webhook-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def wake(self) -> None:
        """Look for due deliveries now (called after a commit that queued some)."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                for triggered_id in self._claim_due():
                    self._pool.submit(self.deliver, triggered_id)
            except Exception:  # a broken poll must not stop deliveries for good
                log.exception("webhook worker poll failed")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _claim_due(self) -> list[int]:
        claimed = []
        with self.database.session() as session:
            for triggered_id in repo.due_ids(session, utcnow()):
                if repo.claim(session, triggered_id):
                    claimed.append(triggered_id)
        return claimed

    def deliver(self, triggered_id: int) -> None:
        """One attempt for a claimed delivery; records the log and the next step."""
        with self.database.session() as session:
            triggered = session.get(TriggeredWebhook, triggered_id)
            if triggered is None:
                return
            webhook = session.get(Webhook, triggered.webhook_id) if triggered.webhook_id else None
            if webhook is None:
                triggered.status = "failure"
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
            triggered.attempts += 1
            session.add(
                WebhookExecution(
                    triggered_webhook_id=triggered.id, success=outcome.success, logs=outcome.logs
                )
            )
            if outcome.success:
                triggered.status = "success"
                triggered.next_attempt_at = None
            elif triggered.attempts <= len(schedule):
                triggered.status = "retrying"
                triggered.next_attempt_at = utcnow() + timedelta(
                    seconds=schedule[triggered.attempts - 1]
                )
            else:
                triggered.status = "failure"
                triggered.next_attempt_at = None
        log.info(
            "webhook delivery %s: %s",
            triggered_id,
            "succeeded" if outcome.success else f"failed (status {outcome.status})",
        )
