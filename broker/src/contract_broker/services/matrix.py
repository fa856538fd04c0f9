"""The matrix and can-i-deploy: query parsing, selector resolution and the deployable decision.

The rules follow the Pact Broker's: specified selectors are resolved to versions; the
integrations they take part in are found; when the query names a target (an environment, a tag,
the latest versions or the main branch) selectors for the other side are inferred from it; the
rows are the pacts of the selected consumer versions left-joined to their verifications by the
selected provider versions; and the answer is

- false when a specified version does not exist,
- null (unknown) when a considered row has no verification or a required integration has no row,
- true when every considered row succeeded (also when there are none),
- false otherwise.

Everything but ``matrix``, ``can_i_deploy`` and ``find`` is a pure function, to be table-tested.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from contract_broker.errors import Invalid
from contract_broker.repositories import matrix as repo
from contract_broker.repositories.matrix import (
    IntegrationRef,
    MatrixRow,
    VersionDetails,
    VersionRef,
)

__all__ = [
    "DEFAULT_LIMIT",
    "LATESTBY",
    "NO_ID",
    "Integration",
    "Kind",
    "MatrixQuery",
    "MatrixResult",
    "Options",
    "Reason",
    "ReasonKind",
    "Resolved",
    "Selector",
    "Summary",
    "apply_latestby",
    "can_i_deploy",
    "find",
    "group_selectors",
    "matrix",
    "merge_integrations",
    "parse_can_i_deploy_query",
    "parse_matrix_query",
    "resolve_selector",
    "sort_rows",
    "split_ignored",
    "summarize",
    "validate_matrix_query",
]

LATESTBY = ("cvpv", "cvp", "cp")
DEFAULT_LIMIT = 100
# The limit goes into SQL; anything above this is as good as "all" and stays a valid integer.
MAX_LIMIT = 1_000_000
NO_ID = -1
"""The id of a version (or pacticipant) that does not exist: it matches no row."""

QueryItems = Sequence[tuple[str, str]]

# ---------------------------------------------------------------- the query


@dataclass(frozen=True)
class Selector:
    """A selector as the client wrote it: a pacticipant and which of its versions."""

    pacticipant: str | None = None
    version: str | None = None
    latest: bool = False
    branch: str | None = None
    tag: str | None = None
    environment: str | None = None
    main_branch: bool = False

    def only_pacticipant(self) -> bool:
        """Every version of the pacticipant: nothing but the name is given."""
        return self.pacticipant is not None and self == Selector(pacticipant=self.pacticipant)

    def plain_version(self) -> bool:
        """A pacticipant and a version number, nothing else (resolved in one batch)."""
        return self.version is not None and self == Selector(self.pacticipant, self.version)


@dataclass(frozen=True)
class Options:
    latestby: str | None = None
    limit: int | None = DEFAULT_LIMIT
    latest: bool | None = None
    tag: str | None = None
    environment: str | None = None
    main_branch: bool | None = None
    ignore: tuple[Selector, ...] = ()
    success: tuple[bool | None, ...] | None = None

    def infers_selectors(self) -> bool:
        """A target is named, so the other side's versions are inferred from it."""
        return bool(self.latest or self.tag or self.environment or self.main_branch)

    def names_a_destination(self) -> bool:
        return bool(self.tag or self.environment or self.main_branch)


@dataclass(frozen=True)
class MatrixQuery:
    selectors: tuple[Selector, ...] = ()
    options: Options = field(default_factory=Options)
    problems: tuple[str, ...] = ()
    """What is wrong with the query string itself (reported with the validation errors)."""
    limit_text: str | None = None


_SUB_KEY = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<index>\d*)\]\[(?P<key>[^\[\]]+)\]$")
_LEADING_INTEGER = re.compile(r"^\s*([+-]?\d+)")


def group_selectors(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """``q[][key]=value`` pairs, in order, as one dict per selector.

    Positional, as Rack parses them: a pair goes to the last selector unless that one already
    has the key, in which case it starts a new selector. Clients that group the keys
    (``q[][pacticipant]=A&q[][pacticipant]=B&q[][version]=1&q[][version]=2``) get them paired
    by index, when the positional reading would leave a selector without a pacticipant.
    """
    positional: list[dict[str, str]] = []
    for key, value in pairs:
        if positional and key not in positional[-1]:
            positional[-1][key] = value
        else:
            positional.append({key: value})
    if all("pacticipant" in selector for selector in positional):
        return positional
    return _paired_by_index(pairs) or positional


def _paired_by_index(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]] | None:
    runs = [key for i, (key, _) in enumerate(pairs) if i == 0 or pairs[i - 1][0] != key]
    if len(runs) != len(set(runs)):
        return None  # interleaved, not grouped
    values: dict[str, list[str]] = {key: [] for key in runs}
    for key, value in pairs:
        values[key].append(value)
    count = len(values.get("pacticipant", []))
    if count < 2 or any(len(v) > count for v in values.values()):
        return None
    return [{key: vs[i] for key, vs in values.items() if i < len(vs)} for i in range(count)]


def _nested(items: QueryItems) -> tuple[dict[str, str], dict[str, list[str]], dict[str, Any]]:
    """Plain keys (last value wins), ``name[]`` lists, and ``name[][key]`` selector groups."""
    plain: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    grouped: dict[str, list[tuple[str, str]]] = {}
    indexed: dict[str, dict[int, dict[str, str]]] = {}
    for key, value in items:
        if key.endswith("[]") and "[" not in key[:-2]:
            lists.setdefault(key[:-2], []).append(value)
            continue
        match = _SUB_KEY.match(key)
        if match is None:
            if "[" not in key:
                plain[key] = value
            continue
        name, index, sub = match["name"], match["index"], match["key"]
        if index == "":
            grouped.setdefault(name, []).append((sub, value))
        elif len(index) <= 6:  # q[0][pacticipant]: explicitly numbered selectors
            indexed.setdefault(name, {}).setdefault(int(index), {})[sub] = value
    groups: dict[str, Any] = {name: group_selectors(pairs) for name, pairs in grouped.items()}
    for name, numbered in indexed.items():
        groups.setdefault(name, []).extend(numbered[i] for i in sorted(numbered))
    return plain, lists, groups


def _filled(value: str | None) -> str | None:
    return value if value else None


def _selector(values: dict[str, str]) -> Selector:
    return Selector(
        pacticipant=_filled(values.get("pacticipant")),
        version=_filled(values.get("version")),
        latest=values.get("latest") == "true",
        branch=_filled(values.get("branch")),
        tag=_filled(values.get("tag")),
        environment=_filled(values.get("environment")),
        main_branch=values.get("mainBranch") == "true",
    )


def _flag(value: str | None) -> bool | None:
    return None if not value else value == "true"


def _limit(text: str | None) -> int:
    """Rack's ``to_i``: the leading integer, 0 when there is none."""
    if text is None:
        return DEFAULT_LIMIT
    match = _LEADING_INTEGER.match(text)
    if match is None:
        return 0
    digits = match.group(1)
    if len(digits.lstrip("+-")) > 18:  # beyond any useful limit (and int() refuses huge ones)
        return -1 if digits.startswith("-") else MAX_LIMIT
    return int(digits)


NUL_PROBLEM = "Query parameters cannot contain a NUL character."


def _nul_problem(items: QueryItems) -> tuple[str, ...]:
    # No stored name contains NUL, and PostgreSQL refuses it in a query parameter.
    if any("\x00" in key or "\x00" in value for key, value in items):
        return (NUL_PROBLEM,)
    return ()


def parse_matrix_query(items: QueryItems) -> MatrixQuery:
    """``GET /matrix``: ``q[][...]`` selectors and the options, from the decoded query items."""
    plain, lists, groups = _nested(items)
    problems = list(_nul_problem(items))
    latestby = _filled(plain.get("latestby"))
    if latestby is not None and latestby not in LATESTBY:
        problems.append(f"latestby must be one of {', '.join(LATESTBY)} (got '{latestby}').")
    success: tuple[bool | None, ...] | None = None
    if "success" in lists:
        success = tuple(_flag(v) for v in lists["success"])
    elif "success" in plain:
        success = (_flag(plain["success"]),)
    limit_text = _filled(plain.get("limit"))
    options = Options(
        latestby=latestby,
        limit=min(max(_limit(limit_text), 0), MAX_LIMIT),
        latest=_flag(plain.get("latest")),
        tag=_filled(plain.get("tag")),
        environment=_filled(plain.get("environment")),
        main_branch=_flag(plain.get("mainBranch")),
        ignore=tuple(_selector(g) for g in groups.get("ignore", [])) + _bare(lists, "ignore"),
        success=success,
    )
    selectors = tuple(_selector(g) for g in groups.get("q", [])) + _bare(lists, "q")
    return MatrixQuery(selectors, options, tuple(problems), limit_text)


def _bare(lists: dict[str, list[str]], name: str) -> tuple[Selector, ...]:
    # ``q[]=x`` carries no pacticipant key: a selector without a pacticipant, as in Rack.
    return tuple(Selector() for _ in lists.get(name, []))


def parse_can_i_deploy_query(items: QueryItems) -> tuple[MatrixQuery, dict[str, list[str]]]:
    """``GET /can-i-deploy?pacticipant=&version=&(to=|environment=)&ignore[]=``.

    Returns the equivalent matrix query and the schema errors (``{field: [messages]}``).
    """
    plain, lists, groups = _nested(items)
    errors: dict[str, list[str]] = {}
    for name in ("pacticipant", "version"):
        if name not in plain:
            errors[name] = ["is missing"]
        elif not plain[name]:
            errors[name] = ["can't be blank"]
    for name in ("to", "environment"):
        if name in plain and not plain[name]:
            errors[name] = ["can't be blank"]
    to, environment = _filled(plain.get("to")), _filled(plain.get("environment"))
    if to and environment:
        errors["base"] = ["Cannot specify both a 'to' tag and an environment."]
    if not to and not environment:
        errors["base"] = ["Must specify either an environment or a 'to' tag."]
    if _nul_problem(items):
        errors["base"] = [*errors.get("base", []), *_nul_problem(items)]
    ignore = [Selector(pacticipant=name) for name in lists.get("ignore", []) if name]
    ignore += [
        Selector(pacticipant=g["pacticipant"], version=_filled(g.get("version")))
        for g in groups.get("ignore", [])
        if g.get("pacticipant")
    ]
    options = Options(
        latestby="cvpv" if environment else "cvp",
        limit=None,
        latest=True if to else None,
        tag=to,
        environment=environment,
        ignore=tuple(ignore),
    )
    selector = Selector(_filled(plain.get("pacticipant")), _filled(plain.get("version")))
    return MatrixQuery((selector,), options), errors


def validate_matrix_query(
    query: MatrixQuery, *, known_pacticipants: Iterable[str], environment_exists: bool
) -> list[str]:
    """The Pact Broker's messages for a matrix query it cannot answer (empty when it can)."""
    known = set(known_pacticipants)
    errors: list[str] = []
    for selector in query.selectors:
        if selector.pacticipant is None:
            errors.append("Please specify the pacticipant name")
        elif selector.version is not None and selector.latest:
            errors.append(
                "A version number and latest flag cannot both be specified for "
                f"{selector.pacticipant}"
            )
    for selector in query.selectors:
        if selector.pacticipant is not None and selector.pacticipant not in known:
            errors.append(f"Pacticipant {selector.pacticipant} not found")
    if not query.selectors:
        errors.append("Please provide 1 or more version selectors.")
    return errors + _validate_options(query, environment_exists) + list(query.problems)


def _validate_options(query: MatrixQuery, environment_exists: bool) -> list[str]:
    options = query.options
    errors: list[str] = []
    for selector in options.ignore:
        if selector.pacticipant is None:
            errors.append("Please specify the pacticipant name to ignore")
        elif selector.version is not None and selector.latest:
            errors.append(
                "A version number and latest flag cannot both be specified for "
                f"{selector.pacticipant} to ignore"
            )
    destinations = [options.tag, options.environment, options.main_branch]
    if sum(d is not None for d in destinations) > 1:
        errors.append("Cannot specify more than one of tag, environment and mainBranch.")
    environment = options.environment
    if options.latest and environment and environment.strip():
        errors.append("Cannot specify both latest=true and an environment.")
    if environment and environment.strip() and not environment_exists:
        errors.append(f"Environment with name '{environment}' does not exist")
    if query.limit_text is not None and _limit(query.limit_text) < 1:
        errors.append("The limit must be 1 or greater.")
    return errors


# ---------------------------------------------------------------- resolved selectors


class Kind(Enum):
    SPECIFIED = "specified"
    INFERRED = "inferred"
    IGNORE = "ignore"


@dataclass(frozen=True)
class Resolved:
    """A selector with its pacticipant and (one of) its versions looked up.

    ``version_id`` None means every version of the pacticipant; ``NO_ID`` means no version
    matched (and ``pacticipant_id`` ``NO_ID`` that the pacticipant does not exist).
    """

    pacticipant_id: int
    pacticipant_name: str
    original: Selector
    kind: Kind
    ignore: bool = False
    version_id: int | None = None
    version_number: str | None = None
    latest: bool = False
    tag: str | None = None
    branch: str | None = None
    main_branch: bool = False
    environment: str | None = None
    one_of_many: bool = False

    @property
    def specified(self) -> bool:
        return self.kind is Kind.SPECIFIED

    @property
    def only_pacticipant(self) -> bool:
        return self.original.only_pacticipant()

    @property
    def version_exists(self) -> bool:
        return self.version_id != NO_ID

    @property
    def pacticipant_exists(self) -> bool:
        return self.pacticipant_id != NO_ID

    def description(self) -> str:
        """How the reasons name this selector (the Pact Broker's wording)."""
        name, number, tag, branch = (
            self.pacticipant_name,
            self.version_number,
            self.tag,
            self.branch,
        )
        if self.latest and tag:
            found = f"({number})" if number else "(no such version exists)"
            return f"the latest version of {name} with tag {tag} {found}"
        if self.main_branch and number is None:
            which = "the latest version" if self.latest else "any version"
            return f"{which} of {name} from the main branch (no versions exist for this branch)"
        if self.latest and branch:
            found = f"({number})" if number else "(no such version exists)"
            return f"the latest version of {name} from branch {branch} {found}"
        if branch and number:
            prefix = "one of the versions" if self.one_of_many else "the version"
            return f"{prefix} of {name} from branch {branch} ({number})"
        if branch:
            return f"a version of {name} from branch {branch} (no such version exists)"
        if self.latest:
            found = f"({number})" if number else "(no such version exists)"
            return f"the latest version of {name} {found}"
        if tag:
            found = f"({number})" if number else "(no such version exists)"
            return f"a version of {name} with tag {tag} {found}"
        if self.environment and number:
            prefix = "one of the versions" if self.one_of_many else "the version"
            return f"{prefix} of {name} currently in {self.environment} ({number})"
        if self.environment:
            return (
                f"a version of {name} currently in {self.environment} (no version is currently "
                "recorded as deployed/released in this environment)"
            )
        if number and not self.version_exists:
            return f"version {number} of {name} (no such version exists)"
        if number:
            return f"version {number} of {name}"
        if not self.pacticipant_exists:
            return f"any version of {name} (no such pacticipant exists)"
        return f"any version of {name}"

    def missing_description(self) -> str:
        """Why a specified version that does not exist stops the deployment."""
        name = self.pacticipant_name
        if self.version_exists:
            return ""
        if self.tag:
            return f"No version with tag {self.tag} exists for {name}"
        if self.branch:
            return f"No version of {name} from branch {self.branch} exists"
        if self.main_branch:
            return f"No version of {name} from the main branch exists"
        if self.environment:
            return (
                f"No version of {name} is currently recorded as deployed or released in "
                f"environment {self.environment}"
            )
        if self.version_number:
            return (
                "No pacts or verifications have been published for version "
                f"{self.version_number} of {name}"
            )
        return f"No pacts or verifications have been published for {name}"


def _ignores_pacticipant(ignore: Sequence[Resolved], pacticipant_id: int) -> bool:
    return any(s.pacticipant_id == pacticipant_id and s.only_pacticipant for s in ignore)


def _ignores_version(ignore: Sequence[Resolved], pacticipant_id: int, version_id: int) -> bool:
    return any(
        s.pacticipant_id == pacticipant_id and (s.only_pacticipant or s.version_id == version_id)
        for s in ignore
    )


def _with_version(
    pacticipant_id: int,
    name: str,
    original: Selector,
    kind: Kind,
    *,
    version: VersionRef | None,
    ignore: bool,
    one_of_many: bool = False,
) -> Resolved:
    branch = original.branch
    if version is not None and branch is None and original.main_branch:
        branch = version.branch
    return Resolved(
        pacticipant_id=pacticipant_id,
        pacticipant_name=name,
        original=original,
        kind=kind,
        ignore=ignore,
        version_id=version.id if version is not None else NO_ID,
        version_number=version.number if version is not None else original.version,
        latest=original.latest,
        tag=original.tag,
        branch=branch,
        main_branch=original.main_branch,
        environment=original.environment,
        one_of_many=one_of_many,
    )


def resolve_selector(
    selector: Selector,
    *,
    pacticipant: tuple[int, str] | None,
    versions: Sequence[VersionRef] | None,
    kind: Kind,
    ignore: Sequence[Resolved] = (),
) -> list[Resolved]:
    """One selector as resolved selectors: one per version found, or one saying none was.

    ``pacticipant`` is ``(id, name)`` or None when it does not exist; ``versions`` is None for
    a selector of every version. ``ignore`` marks the ones the client asked to ignore.
    """
    if pacticipant is None:
        return [Resolved(NO_ID, selector.pacticipant or "", selector, kind)]
    pacticipant_id, name = pacticipant
    if versions is None:
        skip = _ignores_pacticipant(ignore, pacticipant_id)
        return [Resolved(pacticipant_id, name, selector, kind, ignore=skip)]
    found: list[VersionRef | None] = list(versions)
    if selector.latest:
        found = [max(versions, key=lambda v: v.id)] if versions else [None]
    elif not found:
        found = [None]
    many = sum(v is not None for v in found) > 1
    return [
        _with_version(
            pacticipant_id,
            name,
            selector,
            kind,
            version=v,
            ignore=_ignores_version(ignore, pacticipant_id, v.id)
            if v is not None
            else _ignores_pacticipant(ignore, pacticipant_id),
            one_of_many=many,
        )
        for v in found
    ]


def inferred_selector(name: str, options: Options) -> Selector:
    """What the other side of an integration must be, given the query's target."""
    return Selector(
        pacticipant=name,
        latest=bool(options.latest),
        tag=options.tag,
        main_branch=bool(options.main_branch),
        environment=options.environment,
    )


# ---------------------------------------------------------------- integrations


@dataclass(frozen=True)
class Integration:
    """A consumer/provider pair in this query; ``required`` when the consumer is specified."""

    consumer_id: int
    consumer_name: str
    provider_id: int
    provider_name: str
    required: bool


def merge_integrations(
    as_consumer: Iterable[IntegrationRef], as_provider: Iterable[IntegrationRef]
) -> list[Integration]:
    """Deduplicated integrations; a consumer needs its providers, a provider needs no consumer."""
    found: dict[tuple[int, int], Integration] = {}
    for ref, required in [(r, True) for r in as_consumer] + [(r, False) for r in as_provider]:
        key = (ref.consumer_id, ref.provider_id)
        if key not in found or (required and not found[key].required):
            found[key] = Integration(
                ref.consumer_id, ref.consumer_name, ref.provider_id, ref.provider_name, required
            )
    return sorted(found.values(), key=lambda i: (i.consumer_name, i.provider_name))


# ---------------------------------------------------------------- rows


def apply_latestby(rows: Sequence[MatrixRow], latestby: str | None) -> list[MatrixRow]:
    """Keep the newest provider version's row per group (rows come newest action first).

    cvpv groups by consumer version and provider version, cvp by consumer version and
    provider, cp by consumer and provider. A group led by an unverified row keeps that row.
    """
    if latestby not in LATESTBY:
        return list(rows)
    groups: dict[tuple[Any, ...], list[MatrixRow]] = {}
    for row in rows:
        key: tuple[Any, ...] = (row.consumer_name, row.provider_name)
        if latestby in ("cvpv", "cvp"):
            key += (row.consumer_version_number,)
        if latestby == "cvpv":
            key += (row.provider_version_number,)
        groups.setdefault(key, []).append(row)
    kept = []
    for group in groups.values():
        verified = [r for r in group if r.provider_version_id is not None]
        if group[0].provider_version_id is None or not verified:
            kept.append(group[0])
        else:
            kept.append(max(verified, key=lambda r: r.provider_version_id or 0))
    return kept


def split_ignored(
    rows: Sequence[MatrixRow], ignore: Sequence[Resolved]
) -> tuple[list[MatrixRow], list[MatrixRow]]:
    """Considered rows, and rows involving something the client asked to ignore."""

    def ignored(row: MatrixRow) -> bool:
        return any(
            (
                s.pacticipant_id == row.consumer_id
                and (s.only_pacticipant or s.version_id == row.consumer_version_id)
            )
            or (
                s.pacticipant_id == row.provider_id
                and (s.only_pacticipant or s.version_id == row.provider_version_id)
            )
            for s in ignore
        )

    considered = [r for r in rows if not ignored(r)]
    return considered, [r for r in rows if ignored(r)]


def sort_rows(rows: Iterable[MatrixRow]) -> list[MatrixRow]:
    """Consumer name, newest consumer version, provider name, unverified first, newest provider."""
    return sorted(
        rows,
        key=lambda r: (
            r.consumer_name,
            -r.consumer_version_id,
            -r.pact_revision,
            r.provider_name,
            r.provider_version_id is not None,
            -(r.provider_version_id or 0),
            -(r.verification_id or 0),
        ),
    )


# ---------------------------------------------------------------- the decision


class ReasonKind(Enum):
    NOT_VERIFIED = "not verified"
    NOT_VERIFIED_BY_REQUIRED = "not verified by required provider version"
    VERIFICATION_FAILED = "verification failed"
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
    consumer = _with_version(
        row.consumer_id,
        row.consumer_name,
        nothing,
        Kind.INFERRED,
        version=VersionRef(row.consumer_version_id, row.consumer_id, row.consumer_version_number),
        ignore=False,
    )
    if row.provider_version_id is not None and row.provider_version_number is not None:
        version = VersionRef(row.provider_version_id, row.provider_id, row.provider_version_number)
        provider = _with_version(
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
) -> Summary:
    """deployable, the counts and the reasons, from the rows and what the query selected."""
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
    errors = _error_reasons(absent, missing, considered, find_selector)
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
        Reason(ReasonKind.VERIFICATION_FAILED, pair(r)) for r in considered if r.success is False
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


# ---------------------------------------------------------------- running a query


@dataclass(frozen=True)
class MatrixResult:
    considered: list[MatrixRow]
    ignored: list[MatrixRow]
    summary: Summary
    details: dict[int, VersionDetails]


def matrix(session: Session, items: QueryItems) -> MatrixResult:
    """``GET /matrix``: 400 (``Invalid`` with a list of messages) for a query it cannot answer."""
    query = parse_matrix_query(items)
    if NUL_PROBLEM in query.problems:
        raise Invalid(list(query.problems))
    names = {s.pacticipant for s in (*query.selectors, *query.options.ignore) if s.pacticipant}
    environment = query.options.environment
    if environment is not None and not environment.strip():
        environment = None  # the Pact Broker does not look blank names up
    pacticipants, environment_exists, versions = repo.lookup(
        session, names, environment, _plain_numbers(query)
    )
    errors = validate_matrix_query(
        query, known_pacticipants=pacticipants, environment_exists=environment_exists
    )
    if errors:
        raise Invalid(errors)
    return find(session, query, pacticipants, plain_versions=versions)


def can_i_deploy(session: Session, items: QueryItems) -> MatrixResult:
    """``GET /can-i-deploy``: 400 (``Invalid`` with ``{field: [messages]}``) for a bad query."""
    query, errors = parse_can_i_deploy_query(items)
    if NUL_PROBLEM in errors.get("base", []):
        raise Invalid(errors)
    names = {s.pacticipant for s in (*query.selectors, *query.options.ignore) if s.pacticipant}
    environment = query.options.environment
    pacticipants, environment_exists, versions = repo.lookup(
        session, names, environment, _plain_numbers(query)
    )
    name = query.selectors[0].pacticipant
    if name is not None and name not in pacticipants:
        errors["pacticipant"] = ["does not match an existing pacticipant"]
    if environment is not None and not environment_exists:
        errors["environment"] = [f"with name '{environment}' does not exist"]
    if errors:
        raise Invalid(errors)
    return find(session, query, pacticipants, plain_versions=versions)


def _plain_numbers(query: MatrixQuery) -> set[str]:
    """The numbers of the selectors naming a pacticipant and a version, nothing else."""
    return {
        s.version
        for s in (*query.selectors, *query.options.ignore)
        if s.plain_version() and s.version is not None
    }


def find(
    session: Session,
    query: MatrixQuery,
    pacticipants: dict[str, int] | None = None,
    *,
    plain_versions: Sequence[VersionRef] | None = None,
) -> MatrixResult:
    """Run a query built in code (pages, badges) or already validated.

    ``pacticipants`` maps the names the query uses to their ids; without it they are looked up,
    and ``Invalid`` says which specified pacticipant does not exist. ``plain_versions``: the
    versions ``repo.lookup`` found for the query's plain version selectors (else looked up).
    """
    if pacticipants is None:
        names = {s.pacticipant for s in (*query.selectors, *query.options.ignore) if s.pacticipant}
        pacticipants = repo.lookup(session, names, None)[0]
        plain_versions = None
        unknown = [s.pacticipant for s in query.selectors if s.pacticipant not in pacticipants]
        if unknown:
            raise Invalid([f"Pacticipant {name} not found" for name in unknown])
    options = query.options
    known = None
    if plain_versions is not None:
        known = {(v.pacticipant_id, v.number): v for v in plain_versions}
    ignore = _resolve_all(session, options.ignore, Kind.IGNORE, pacticipants, (), known=known)
    specified = _resolve_all(
        session, query.selectors, Kind.SPECIFIED, pacticipants, ignore, known=known
    )
    integrations = _integrations(session, specified, options.infers_selectors())
    inferred: list[Resolved] = []
    if options.infers_selectors():
        inferred = _resolve_inferred(session, specified, integrations, options, ignore)
    selectors = specified + inferred
    rows = _rows(session, selectors, options, {i.provider_id for i in integrations})
    rows = apply_latestby(rows, options.latestby)
    if options.success is not None:
        rows = [r for r in rows if r.success in options.success]
    considered, ignored = split_ignored(rows, ignore)
    considered, ignored = sort_rows(considered), sort_rows(ignored)
    summary = summarize(
        considered=considered,
        ignored=ignored,
        selectors=selectors,
        ignore_selectors=ignore,
        integrations=integrations,
        options=options,
    )
    version_ids = {r.consumer_version_id for r in rows} | {
        r.provider_version_id for r in rows if r.provider_version_id is not None
    }
    details = repo.version_details(session, version_ids)
    return MatrixResult(considered, ignored, summary, details)


def _lookup_versions(
    session: Session,
    selectors: Sequence[Selector],
    pacticipants: dict[str, int],
    known: dict[tuple[int, str], VersionRef] | None = None,
) -> list[list[VersionRef] | None]:
    """The versions each selector picks (None: every version), in few statements.

    Selectors of a pacticipant and number share one statement (none when ``known`` already
    holds what it would find); the others share one per distinct set of criteria.
    """
    found: list[list[VersionRef] | None] = [None] * len(selectors)
    plain = [
        (i, s)
        for i, s in enumerate(selectors)
        if s.plain_version() and s.pacticipant in pacticipants
    ]
    if plain:
        by_key = known
        if by_key is None:
            ids = {pacticipants[s.pacticipant or ""] for _, s in plain}
            refs = repo.versions_with_numbers(session, ids, {s.version or "" for _, s in plain})
            by_key = {(r.pacticipant_id, r.number): r for r in refs}
        for i, s in plain:
            ref = by_key.get((pacticipants[s.pacticipant or ""], s.version or ""))
            found[i] = [ref] if ref is not None else []
    by_criteria: dict[Selector, list[int]] = {}
    for i, s in enumerate(selectors):
        if s.pacticipant in pacticipants and not s.only_pacticipant() and not s.plain_version():
            by_criteria.setdefault(replace(s, pacticipant=None), []).append(i)
    for criteria, indexes in by_criteria.items():
        ids = {pacticipants[selectors[i].pacticipant or ""] for i in indexes}
        refs = repo.versions_for_criteria(
            session,
            ids,
            number=criteria.version,
            environment=criteria.environment,
            tag=criteria.tag,
            branch=criteria.branch,
            main_branch=criteria.main_branch,
            latest=criteria.latest,
        )
        for i in indexes:
            pacticipant_id = pacticipants[selectors[i].pacticipant or ""]
            found[i] = [r for r in refs if r.pacticipant_id == pacticipant_id]
    return found


def _resolve_all(
    session: Session,
    selectors: Sequence[Selector],
    kind: Kind,
    pacticipants: dict[str, int],
    ignore: Sequence[Resolved],
    *,
    known: dict[tuple[int, str], VersionRef] | None = None,
) -> list[Resolved]:
    versions = _lookup_versions(session, selectors, pacticipants, known)
    resolved: list[Resolved] = []
    for selector, found in zip(selectors, versions, strict=True):
        name = selector.pacticipant
        pacticipant = (pacticipants[name], name) if name in pacticipants and name else None
        resolved += resolve_selector(
            selector, pacticipant=pacticipant, versions=found, kind=kind, ignore=ignore
        )
    return resolved


def _integrations(
    session: Session, specified: Sequence[Resolved], infer: bool
) -> list[Integration]:
    every_version = {s.pacticipant_id for s in specified if s.version_id is None}
    versions = {s.version_id for s in specified if s.version_id is not None}
    if infer or len(specified) == 1:
        as_consumer, as_provider = repo.integrations_of(
            session,
            version_ids=versions,
            consumer_ids=every_version,
            provider_ids={s.pacticipant_id for s in specified},
        )
        return merge_integrations(as_consumer, as_provider)
    names = {s.pacticipant_name for s in specified}
    between = repo.integrations_between(
        session,
        version_ids=versions,
        consumer_ids=every_version,
        provider_ids={s.pacticipant_id for s in specified},
    )
    return sorted(
        (
            Integration(
                r.consumer_id,
                r.consumer_name,
                r.provider_id,
                r.provider_name,
                r.consumer_name in names,
            )
            for r in between
        ),
        key=lambda i: (i.consumer_name, i.provider_name),
    )


def _resolve_inferred(
    session: Session,
    specified: Sequence[Resolved],
    integrations: Sequence[Integration],
    options: Options,
    ignore: Sequence[Resolved],
) -> list[Resolved]:
    specified_names = {s.pacticipant_name for s in specified}
    others: dict[str, int] = {}
    for i in integrations:
        for pacticipant_id, name in (
            (i.consumer_id, i.consumer_name),
            (i.provider_id, i.provider_name),
        ):
            if name not in specified_names:
                others.setdefault(name, pacticipant_id)
    selectors = [inferred_selector(name, options) for name in others]
    return _resolve_all(session, selectors, Kind.INFERRED, others, ignore)


def _rows(
    session: Session, selectors: Sequence[Resolved], options: Options, providers: set[int]
) -> list[MatrixRow]:
    latest_only = options.latestby is not None
    every_version = {s.pacticipant_id for s in selectors if s.only_pacticipant}
    versions = {
        s.version_id for s in selectors if not s.only_pacticipant and s.version_id is not None
    }
    known = repo.Known(
        names={s.pacticipant_id: s.pacticipant_name for s in selectors},
        numbers={
            s.version_id: s.version_number
            for s in selectors
            if s.version_id is not None and s.version_exists and s.version_number is not None
        },
    )
    if len(selectors) == 1:
        return repo.rows_for_one_selector(
            session,
            pacticipant_ids=every_version,
            version_ids=versions,
            latest_only=latest_only,
            limit=options.limit,
            known=known,
        )
    # A verification joins only pacts of its own provider, and every row's provider is the
    # provider of an integration found for the query: only those pacticipants' versions verify.
    verifiers = [s for s in selectors if s.pacticipant_id in providers]
    return repo.rows_between_selectors(
        session,
        pacticipant_ids=every_version,
        version_ids=versions,
        all_pacticipant_ids={s.pacticipant_id for s in selectors},
        specified_pacticipant_ids={s.pacticipant_id for s in selectors if s.specified},
        verifier_ids=(
            {s.pacticipant_id for s in verifiers if s.only_pacticipant},
            {
                s.version_id
                for s in verifiers
                if not s.only_pacticipant and s.version_id is not None
            },
        ),
        latest_only=latest_only,
        limit=options.limit,
        known=known,
    )
