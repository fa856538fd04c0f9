"""The deployable decision: the answer, the counts and the reasons that explain it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from contract_broker.repositories.matrix import MatrixRow, VersionRef
from contract_broker.services.matrix.failures import joined
from contract_broker.services.matrix.resolution import with_version
from contract_broker.services.matrix.types import (
    NO_ID,
    Integration,
    Kind,
    Options,
    Resolved,
    Selector,
)

__all__ = ["Reason", "ReasonKind", "Summary", "summarize"]


class ReasonKind(Enum):
    NOT_VERIFIED = "not verified"
    NOT_VERIFIED_BY_REQUIRED = "not verified by required provider version"
    VERIFICATION_FAILED = "verification failed"
    CROSS_CONTRACT_FAILED = "cross contract verification failed"
    SPECIFIED_VERSION_MISSING = "specified version does not exist"
    IGNORE_SELECTOR_MISSING = "ignore selector does not exist"
    NO_ENVIRONMENT = "no environment specified"
    NO_VERSION_NUMBER = "no version number specified"
    SUCCESSFUL = "successful"
    NO_DEPENDENCIES_MISSING = "no dependencies missing"


_ERRORS = {
    ReasonKind.NOT_VERIFIED,
    ReasonKind.NOT_VERIFIED_BY_REQUIRED,
    ReasonKind.VERIFICATION_FAILED,
    ReasonKind.CROSS_CONTRACT_FAILED,
    ReasonKind.SPECIFIED_VERSION_MISSING,
}
_WARNINGS = {
    ReasonKind.IGNORE_SELECTOR_MISSING,
    ReasonKind.NO_ENVIRONMENT,
    ReasonKind.NO_VERSION_NUMBER,
}


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    selectors: tuple[Resolved, ...] = ()
    #: For a failed verification: what failed, one line per interaction (from its testResults).
    details: tuple[str, ...] = ()

    @property
    def type(self) -> str:
        """The notice type: error, warning or success."""
        if self.kind in _ERRORS:
            return "error"
        if self.kind in _WARNINGS:
            return "warning"
        return "success"

    @property
    def text(self) -> str:
        """The sentence, then (for a failed verification) one indented line per failure."""
        return self.sentence + joined(self.details)

    @property
    def sentence(self) -> str:
        kind, selectors = self.kind, self.selectors
        if kind in (ReasonKind.NOT_VERIFIED, ReasonKind.NOT_VERIFIED_BY_REQUIRED):
            consumer, provider = selectors
            return (
                f"There is no verified pact between {consumer.description()} and "
                f"{provider.description()}"
            )
        if kind is ReasonKind.VERIFICATION_FAILED:
            consumer, provider = selectors
            return (
                f"The verification for the pact between {consumer.description()} and "
                f"{provider.description()} failed"
            )
        if kind is ReasonKind.CROSS_CONTRACT_FAILED:
            consumer, provider = selectors
            return (
                f"The cross contract verification between the pact for "
                f"{consumer.description()} and the provider contract (OpenAPI) for "
                f"{provider.description()} failed"
            )
        if kind is ReasonKind.SPECIFIED_VERSION_MISSING:
            return selectors[0].missing_description()
        if kind is ReasonKind.IGNORE_SELECTOR_MISSING:
            return f"WARN: Cannot ignore {selectors[0].description()}"
        return _FIXED_TEXTS[kind]


_FIXED_TEXTS = {
    ReasonKind.NO_ENVIRONMENT: (
        "WARN: It is recommended to specify the environment into which you are deploying. "
        "Without the environment, this result will not be reliable."
    ),
    ReasonKind.NO_VERSION_NUMBER: (
        "WARN: It is recommended to specify the version number (rather than the tag or branch) "
        "of the pacticipant you wish to deploy to avoid race conditions. Without a version "
        "number, this result will not be reliable."
    ),
    ReasonKind.SUCCESSFUL: "All required verification results are published and successful",
    ReasonKind.NO_DEPENDENCIES_MISSING: "There are no missing dependencies",
}


@dataclass(frozen=True)
class Summary:
    deployable: bool | None
    reasons: tuple[Reason, ...]
    counts: dict[str, int]

    @property
    def reason(self) -> str:
        return "\n".join(r.text for r in self.reasons)


def _row_dummies(row: MatrixRow) -> list[Resolved]:
    nothing = Selector()
    consumer = with_version(
        row.consumer_id,
        row.consumer_name,
        nothing,
        Kind.INFERRED,
        version=VersionRef(row.consumer_version_id, row.consumer_id, row.consumer_version_number),
        ignore=False,
    )
    if row.provider_version_id is not None and row.provider_version_number is not None:
        version = VersionRef(row.provider_version_id, row.provider_id, row.provider_version_number)
        provider = with_version(
            row.provider_id,
            row.provider_name,
            nothing,
            Kind.INFERRED,
            version=version,
            ignore=False,
        )
    else:
        provider = Resolved(row.provider_id, row.provider_name, nothing, Kind.INFERRED)
    return [consumer, provider]


class _SelectorFinder:
    """The selector that brought a row's pacticipant version into the query.

    When there is none (or several and no version matches), a stand-in made from the rows and
    integrations, as the Pact Broker does: the first one with the pacticipant's name.
    """

    def __init__(
        self,
        selectors: Sequence[Resolved],
        considered: Sequence[MatrixRow],
        integrations: Sequence[Integration],
    ) -> None:
        self.by_name: dict[str, list[Resolved]] = {}
        self.by_number: dict[tuple[str, str | None], Resolved] = {}
        for selector in selectors:
            self.by_name.setdefault(selector.pacticipant_name, []).append(selector)
            key = (selector.pacticipant_name, selector.version_number)
            self.by_number.setdefault(key, selector)
        self.considered = considered
        self.integrations = integrations
        self._dummies: dict[str, Resolved] | None = None

    def __call__(self, name: str, number: str | None) -> Resolved:
        found = self.by_name.get(name, [])
        if len(found) == 1:
            return found[0]
        if number is not None and (name, number) in self.by_number:
            return self.by_number[(name, number)]
        return self.dummies().get(name) or Resolved(NO_ID, name, Selector(), Kind.INFERRED)

    def dummies(self) -> dict[str, Resolved]:
        """Built on first use: most queries never need a stand-in."""
        if self._dummies is None:
            nothing = Selector()
            candidates = [d for row in self.considered for d in _row_dummies(row)]
            for i in self.integrations:
                candidates.append(Resolved(i.consumer_id, i.consumer_name, nothing, Kind.INFERRED))
                candidates.append(Resolved(i.provider_id, i.provider_name, nothing, Kind.INFERRED))
            self._dummies = {}
            for candidate in candidates:
                self._dummies.setdefault(candidate.pacticipant_name, candidate)
        return self._dummies


def _unique(reasons: Iterable[Reason]) -> list[Reason]:
    return list(dict.fromkeys(reasons))


def summarize(
    *,
    considered: Sequence[MatrixRow],
    ignored: Sequence[MatrixRow],
    selectors: Sequence[Resolved],
    ignore_selectors: Sequence[Resolved],
    integrations: Sequence[Integration],
    options: Options,
    failures: Mapping[int, tuple[str, ...]] | None = None,
) -> Summary:
    """deployable, the counts and the reasons, from the rows and what the query selected.

    ``failures``: what each failed verification (by id) says failed, for its reason."""
    all_rows = [*considered, *ignored]
    with_rows = {(r.consumer_id, r.provider_id) for r in all_rows}
    missing = [
        i for i in integrations if i.required and (i.consumer_id, i.provider_id) not in with_rows
    ]
    absent = [s for s in selectors if s.specified and not s.version_exists and not s.ignore]
    deployable: bool | None
    if absent:
        deployable = False
    elif any(r.success is None for r in considered) or missing:
        deployable = None
    else:
        deployable = all(r.success for r in considered)
    counts = {
        "success": sum(r.success is True for r in considered),
        "failed": sum(r.success is False for r in considered),
        "unknown": len(missing) + sum(r.success is None for r in considered),
    }
    if ignore_selectors:
        counts["ignored"] = len(ignored)
    find_selector = _SelectorFinder(selectors, considered, integrations)
    errors = _error_reasons(absent, missing, considered, find_selector, failures or {})
    warnings = _warnings(selectors, ignore_selectors, options)
    if errors:
        reasons = warnings + errors
    elif all(r.success for r in considered) and not missing:
        success = ReasonKind.SUCCESSFUL if considered else ReasonKind.NO_DEPENDENCIES_MISSING
        reasons = [*warnings, Reason(success)]
    else:
        reasons = warnings
    return Summary(deployable, tuple(reasons), counts)


def _error_reasons(
    absent: Sequence[Resolved],
    missing: Sequence[Integration],
    considered: Sequence[MatrixRow],
    find_selector: _SelectorFinder,
    failures: Mapping[int, tuple[str, ...]],
) -> list[Reason]:
    if absent:
        return _unique(Reason(ReasonKind.SPECIFIED_VERSION_MISSING, (s,)) for s in absent)

    def pair(row: MatrixRow) -> tuple[Resolved, Resolved]:
        return (
            find_selector(row.consumer_name, row.consumer_version_number),
            find_selector(row.provider_name, row.provider_version_number),
        )

    reasons = [
        Reason(
            ReasonKind.NOT_VERIFIED_BY_REQUIRED,
            (find_selector(i.consumer_name, None), find_selector(i.provider_name, None)),
        )
        for i in missing
    ]
    reasons += [
        Reason(
            ReasonKind.VERIFICATION_FAILED
            if r.provider_contract_id is None
            else ReasonKind.CROSS_CONTRACT_FAILED,
            pair(r),
            failures.get(r.verification_id, ()) if r.verification_id is not None else (),
        )
        for r in considered
        if r.success is False
    ]
    reasons += [Reason(ReasonKind.NOT_VERIFIED, pair(r)) for r in considered if r.success is None]
    return _unique(reasons)


def _warnings(
    selectors: Sequence[Resolved], ignore_selectors: Sequence[Resolved], options: Options
) -> list[Reason]:
    warnings = [
        Reason(ReasonKind.IGNORE_SELECTOR_MISSING, (s,))
        for s in ignore_selectors
        if not s.pacticipant_exists or not s.version_exists
    ]
    specified = [s for s in selectors if s.specified]
    if len(specified) == 1 and not options.names_a_destination():
        warnings.append(Reason(ReasonKind.NO_ENVIRONMENT))
    with_versions = [s for s in specified if not s.only_pacticipant]
    if with_versions and not any(s.original.version for s in specified):
        warnings.append(Reason(ReasonKind.NO_VERSION_NUMBER))
    return warnings
