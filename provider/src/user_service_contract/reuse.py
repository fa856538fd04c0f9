"""Per-pact verification records: a recorded success is reused instead of replaying the pact.

A pact's result is a pure function of the pact's content and the provider's inputs (the app and
this harness: the ``provider-verify`` input digest the tasks compute). The caller (``invoke
provider-verify``) keeps the records in its action cache and hands them over as files named by
the pact's SHA; this module only reads and writes those files. Only successes are recorded: a
failure, an error or a state problem is always replayed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from user_service_contract.plan import VerifiablePact

__all__ = ["ResultCache"]


@dataclass(frozen=True)
class ResultCache:
    """Records for one provider input digest: ``reuse_dir`` to read, ``record_dir`` to write."""

    input_digest: str
    reuse_dir: Path | None = None
    record_dir: Path | None = None

    def recorded(self, pact: VerifiablePact) -> dict[str, Any] | None:
        """The verifier results recorded for ``pact`` under this digest, if any and sound."""
        if self.reuse_dir is None or not pact.content_sha:
            return None
        try:
            record = json.loads((self.reuse_dir / f"{pact.content_sha}.json").read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or (
            record.get("pact"),
            record.get("inputDigest"),
        ) != (pact.content_sha, self.input_digest):
            return None
        results = record.get("results")
        items = results.get("interactionResults") if isinstance(results, dict) else None
        if not items or any(str(i.get("result", "")).upper() != "OK" for i in items):
            return None  # never reuse anything but a whole success
        return results

    def record(self, pact: VerifiablePact, results: dict[str, Any]) -> None:
        """Write ``pact``'s successful results for the caller to keep."""
        if self.record_dir is None or not pact.content_sha:
            return
        self.record_dir.mkdir(parents=True, exist_ok=True)
        record = {
            "pact": pact.content_sha,
            "inputDigest": self.input_digest,
            "consumer": pact.consumer,
            "results": results,
        }
        path = self.record_dir / f"{pact.content_sha}.json"
        path.write_text(json.dumps(record, sort_keys=True), encoding="utf-8")
