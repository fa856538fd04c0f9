"""What a failed verification says went wrong: its ``testResults`` as lines a person can act on.

The verifier publishes one entry per interaction (pact_ffi: ``interactionDescription``,
``success``, ``mismatches`` of ``attribute``/``identifier``/``description``; the Ruby verifier
nests them under ``tests`` with ``testDescription``). The text is client input that ends up in
CLI output and logs, so it is flattened to one line per item and cut to a bounded length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FAILURES_SHOWN",
    "MISMATCHES_SHOWN",
    "Failure",
    "failed_interactions",
    "failure_lines",
    "joined",
    "short_version",
]

#: Failing interactions named per verification; the rest are counted ("and 12 more").
FAILURES_SHOWN = 3
#: Mismatches named per interaction.
MISMATCHES_SHOWN = 3
_TEXT_LIMIT = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_SHA = re.compile(r"[0-9a-f]{16,64}")


@dataclass(frozen=True)
class Failure:
    """One failing interaction: its description and its mismatches as short texts."""

    description: str
    mismatches: tuple[str, ...]
    more_mismatches: int = 0


def _clean(value: Any) -> str:
    """One bounded line of text from any JSON value (control characters become spaces)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = _CONTROL.sub(" ", text).strip()
    return text if len(text) <= _TEXT_LIMIT else text[: _TEXT_LIMIT - 1] + "…"


def _entries(test_results: Any) -> list[Mapping[str, Any]]:
    if isinstance(test_results, Mapping):
        test_results = test_results.get("tests")
    if not isinstance(test_results, list):
        return []
    return [entry for entry in test_results if isinstance(entry, Mapping)]


def _mismatch_text(mismatch: Any) -> str:
    if not isinstance(mismatch, Mapping):
        return _clean(mismatch)
    where = " ".join(
        part
        for part in (_clean(mismatch.get("attribute")), _clean(mismatch.get("identifier")))
        if part
    )
    description = _clean(
        mismatch.get("description") or mismatch.get("mismatch") or mismatch.get("message")
    )
    exception = mismatch.get("exception")
    if not description and isinstance(exception, Mapping):
        description = _clean(exception.get("message"))
    text = f"{where} — {description}" if where and description else where or description
    rule = _clean(mismatch.get("rule"))
    # A provider contract comparison's rule (swagger-mock-validator's code) says which check.
    return f"{text} [{rule}]" if text and rule else text


def failed_interactions(test_results: Any) -> tuple[list[Failure], int]:
    """The first ``FAILURES_SHOWN`` failing interactions, and how many more failed.

    Empty when the verification published no usable ``testResults`` (older clients).
    """
    failing = [entry for entry in _entries(test_results) if entry.get("success") is False]
    shown: list[Failure] = []
    for entry in failing[:FAILURES_SHOWN]:
        raw = entry.get("mismatches")
        mismatches = raw if isinstance(raw, list) else []
        texts = [text for text in (_mismatch_text(m) for m in mismatches) if text]
        description = _clean(
            entry.get("interactionDescription")
            or entry.get("testDescription")
            or entry.get("description")
            or entry.get("interactionId")
        )
        shown.append(
            Failure(
                description or "an interaction",
                tuple(texts[:MISMATCHES_SHOWN]),
                max(0, len(texts) - MISMATCHES_SHOWN),
            )
        )
    return shown, len(failing) - len(shown)


def short_version(number: str) -> str:
    """A version number for a sentence: a commit SHA cut to 8 characters, others whole."""
    if _SHA.fullmatch(number):
        return number[:8] + "…"
    return number


def failure_lines(
    test_results: Any, *, provider: str, provider_version: str | None, consumer: str
) -> tuple[str, ...]:
    """``user-service 4f2a1b3c… fails billing-service's "a request for user 123": body $ —
    Actual map is missing the following keys: name`` per failing interaction shown, then
    ``and 12 more failing interactions``; nothing without usable ``testResults``."""
    shown, more = failed_interactions(test_results)
    who = provider if provider_version is None else f"{provider} {short_version(provider_version)}"
    lines = []
    for failure in shown:
        line = f'{who} fails {consumer}\'s "{failure.description}"'
        if failure.mismatches:
            line += ": " + "; ".join(failure.mismatches)
        if failure.more_mismatches:
            line += f" (and {failure.more_mismatches} more)"
        lines.append(line)
    if more:
        lines.append(f"and {more} more failing interaction{'s' if more != 1 else ''}")
    return tuple(lines)


def joined(lines: Iterable[str]) -> str:
    """The lines under a reason's sentence, one per line, indented."""
    return "".join(f"\n  {line}" for line in lines)
