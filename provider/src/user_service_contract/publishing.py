"""Publishing one pact's verification result, once, with its ``testResults``.

The harness publishes rather than the verifier: each pact is replayed by a verifier that never
sees the broker, and a pending pact's failure must be published as a failure (the broker keeps
it pending) while the build passes, which only the harness knows. The body is the one pact_ffi's
verifier sends (``providerApplicationVersion``, ``success``, ``buildUrl``, ``testResults`` with
one entry per interaction, ``verifiedBy``), posted to the pact's
``pb:publish-verification-results`` link; the provider version's branch is recorded first
through the provider's ``pb:branch-version`` link, as the verifier does.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from user_service_contract.broker import IMPLEMENTATION, BrokerClient
from user_service_contract.report import VerificationReport

__all__ = ["PublishOptions", "build_test_results", "publish_result"]


@dataclass(frozen=True)
class PublishOptions:
    """Publish the results to the broker as this provider version."""

    version: str
    branch: str | None = None
    build_url: str | None = None
    tags: tuple[str, ...] = ()


def publish_result(
    client: BrokerClient,
    pact: dict[str, Any],
    report: VerificationReport,
    results: dict[str, Any],
    options: PublishOptions,
    *,
    reused: str | None = None,
) -> dict[str, Any]:
    """POST this pact's result (``report`` is this pact's alone); returns the body sent.

    ``reused``: the provider input digest whose recorded result this is (not replayed for this
    version); it is said in ``verifiedBy`` and appended to the build URL.
    """
    body: dict[str, Any] = {
        "providerApplicationVersion": options.version,
        "success": report.all_passed,
        "testResults": build_test_results(results, problems=report.problems),
        "verifiedBy": {
            "implementation": IMPLEMENTATION,
            "version": _pact_python_version(),
            "clientLanguage": {"name": "pact-python", "testFramework": "pact_ffi"},
        },
    }
    if reused is not None:
        body["verifiedBy"]["reusedResultOfInputDigest"] = reused
    if options.build_url:
        marked = f"{options.build_url}#reused-result-of-input-digest-{reused}" if reused else ""
        body["buildUrl"] = marked or options.build_url
    client.publish(pact, body, branch=options.branch, tags=options.tags)
    return body


def build_test_results(results: dict[str, Any], *, problems: list[str]) -> list[dict[str, Any]]:
    """One entry per interaction, passing ones included (pact_ffi's shape)."""
    entries = []
    for item in results.get("interactionResults") or []:
        ok = str(item.get("result", "")).upper() == "OK"
        entry: dict[str, Any] = {
            "interactionDescription": str(item.get("description", "")),
            "success": ok,
        }
        if item.get("interactionId"):
            entry["interactionId"] = str(item["interactionId"])
        if not ok:
            mismatch = item.get("mismatch") or {}
            if mismatch.get("type") == "mismatches":
                entry["mismatches"] = [_mismatch(m) for m in mismatch.get("mismatches") or []]
            else:
                message = mismatch.get("message") or mismatch.get("error") or "error"
                entry["exceptions"] = [{"message": str(message)}]
        entries.append(entry)
    entries += [
        {
            "interactionDescription": "provider states",
            "success": False,
            "exceptions": [{"message": problem}],
        }
        for problem in problems
    ]
    return entries


_ATTRIBUTES = {
    "BodyMismatch": "body",
    "BodyTypeMismatch": "body",
    "StatusMismatch": "status",
    "HeaderMismatch": "header",
    "QueryMismatch": "query",
    "PathMismatch": "path",
    "MethodMismatch": "method",
    "MetadataMismatch": "metadata",
}


def _mismatch(entry: dict[str, Any]) -> dict[str, Any]:
    kind = str(entry.get("type", ""))
    found: dict[str, Any] = {
        "attribute": _ATTRIBUTES.get(kind, kind or "body"),
        "description": str(entry.get("mismatch") or kind),
    }
    identifier = entry.get("path") or entry.get("key") or entry.get("parameter")
    if identifier:
        found["identifier"] = str(identifier)
    return found


def _pact_python_version() -> str:
    try:
        return version("pact-python")
    except PackageNotFoundError:  # pragma: no cover - it is a dependency of this tier
        return "unknown"
