"""Running matrix queries against the database (the only module here that takes a Session)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from contract_broker.errors import Invalid, InvalidQuery
from contract_broker.repositories import matrix as repo
from contract_broker.repositories import verifications as verifications_repo
from contract_broker.repositories.matrix import MatrixRow, VersionDetails, VersionRef
from contract_broker.services.matrix.decision import Summary, summarize
from contract_broker.services.matrix.failures import failure_lines
from contract_broker.services.matrix.query import (
    NUL_PROBLEM,
    parse_can_i_deploy_query,
    parse_matrix_query,
    validate_matrix_query,
)
from contract_broker.services.matrix.resolution import (
    inferred_selector,
    merge_integrations,
    resolve_selector,
)
from contract_broker.services.matrix.rows import apply_latestby, sort_rows, split_ignored
from contract_broker.services.matrix.types import (
    Integration,
    Kind,
    MatrixQuery,
    Options,
    QueryItems,
    Resolved,
    Selector,
)

__all__ = ["MatrixResult", "can_i_deploy", "find", "matrix"]


@dataclass(frozen=True)
class MatrixResult:
    considered: list[MatrixRow]
    ignored: list[MatrixRow]
    summary: Summary
    details: dict[int, VersionDetails]


def matrix(session: Session, items: QueryItems) -> MatrixResult:
    """``GET /matrix``: 400 (``InvalidQuery``: a list of messages) for a query it cannot answer."""
    query = parse_matrix_query(items)
    if NUL_PROBLEM in query.problems:
        raise InvalidQuery(list(query.problems))
    names = {s.pacticipant for s in (*query.selectors, *query.options.ignore) if s.pacticipant}
    environment = query.options.environment
    if environment is not None and not environment.strip():
        environment = None  # the Pact Broker does not look blank names up
    found = repo.lookup_with_integrations(session, names, environment, _plain_numbers(query))
    errors = validate_matrix_query(
        query, known_pacticipants=found.pacticipants, environment_exists=found.environment_exists
    )
    if errors:
        raise InvalidQuery(errors)
    return find(session, query, found.pacticipants, plain_versions=found.versions, looked_up=found)


def can_i_deploy(session: Session, items: QueryItems) -> MatrixResult:
    """``GET /can-i-deploy``: 400 (``Invalid`` with ``{field: [messages]}``) for a bad query."""
    query, errors = parse_can_i_deploy_query(items)
    if NUL_PROBLEM in errors.get("base", []):
        raise Invalid(errors)
    names = {s.pacticipant for s in (*query.selectors, *query.options.ignore) if s.pacticipant}
    environment = query.options.environment
    found = repo.lookup_with_integrations(session, names, environment, _plain_numbers(query))
    pacticipants, environment_exists = found.pacticipants, found.environment_exists
    name = query.selectors[0].pacticipant
    if name is not None and name not in pacticipants:
        errors["pacticipant"] = ["does not match an existing pacticipant"]
    if environment is not None and not environment_exists:
        errors["environment"] = [f"with name '{environment}' does not exist"]
    if errors:
        raise Invalid(errors)
    return find(session, query, pacticipants, plain_versions=found.versions, looked_up=found)


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
    looked_up: repo.Lookup | None = None,
) -> MatrixResult:
    """Run a query built in code (pages, badges) or already validated.

    ``pacticipants`` maps the names the query uses to their ids; without it they are looked up,
    and ``InvalidQuery`` says which specified pacticipant does not exist. ``plain_versions``: the
    versions ``repo.lookup`` found for the query's plain version selectors (else looked up);
    ``looked_up``: that lookup, whose integrations (if it found them) are used when the query
    is about exactly that version.
    """
    if pacticipants is None:
        names = {s.pacticipant for s in (*query.selectors, *query.options.ignore) if s.pacticipant}
        pacticipants = repo.lookup(session, names, None)[0]
        plain_versions = None
        unknown = [s.pacticipant for s in query.selectors if s.pacticipant not in pacticipants]
        if unknown:
            raise InvalidQuery([f"Pacticipant {name} not found" for name in unknown])
    options = query.options
    known = None
    if plain_versions is not None:
        known = {(v.pacticipant_id, v.number): v for v in plain_versions}
    ignore = _resolve_all(session, options.ignore, Kind.IGNORE, pacticipants, (), known=known)
    specified = _resolve_all(
        session, query.selectors, Kind.SPECIFIED, pacticipants, ignore, known=known
    )
    if looked_up is not None and not _about(looked_up, specified):
        looked_up = None
    integrations = _integrations(session, specified, options.infers_selectors(), looked_up)
    inferred: list[Resolved] = []
    if options.infers_selectors():
        inferred = _resolve_inferred(
            session, specified, integrations, options, ignore, looked_up=looked_up
        )
    selectors = specified + inferred
    rows = _rows(session, selectors, options, {i.provider_id for i in integrations})
    rows = apply_latestby(rows, options.latestby)
    if options.success is not None:
        rows = [r for r in rows if r.success in options.success]
    considered, ignored = split_ignored(rows, ignore)
    considered, ignored = sort_rows(considered), sort_rows(ignored)
    failures = _failures(session, considered)
    summary = summarize(
        considered=considered,
        ignored=ignored,
        selectors=selectors,
        ignore_selectors=ignore,
        integrations=integrations,
        options=options,
        failures=failures,
    )
    version_ids = {r.consumer_version_id for r in rows} | {
        r.provider_version_id for r in rows if r.provider_version_id is not None
    }
    details = repo.version_details(session, version_ids)
    return MatrixResult(considered, ignored, summary, details)


#: Failed verifications whose testResults a refusal names (one reason each); more rarely help.
FAILURES_EXPLAINED = 20


def _failures(session: Session, considered: Sequence[MatrixRow]) -> dict[int, tuple[str, ...]]:
    """What each failed verification among the rows says failed (one statement, only when one
    failed): the lines its reason names."""
    failed = {r.verification_id: r for r in considered if r.success is False and r.verification_id}
    if not failed:
        return {}
    explained = sorted(failed)[-FAILURES_EXPLAINED:]
    found = verifications_repo.test_results_of(session, explained)
    return {
        verification_id: failure_lines(
            test_results,
            provider=failed[verification_id].provider_name,
            provider_version=failed[verification_id].provider_version_number,
            consumer=failed[verification_id].consumer_name,
        )
        for verification_id, test_results in found.items()
    }


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
    session: Session,
    specified: Sequence[Resolved],
    infer: bool,
    looked_up: repo.Lookup | None = None,
) -> list[Integration]:
    every_version = {s.pacticipant_id for s in specified if s.version_id is None}
    versions = {s.version_id for s in specified if s.version_id is not None}
    if infer or len(specified) == 1:
        if looked_up is not None and looked_up.integrations is not None:
            # The lookup found them with the version: what integrations_of would answer.
            return merge_integrations(*looked_up.integrations)
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


def _about(looked_up: repo.Lookup, specified: Sequence[Resolved]) -> bool:
    """Whether the query is about exactly the one version the lookup found integrations for
    (so what it prefetched for that version answers the query)."""
    versions = {s.version_id for s in specified}
    return (
        looked_up.integrations is not None
        and None not in versions
        and len(versions) == 1
        and versions == {v.id for v in looked_up.versions}
        and {s.pacticipant_id for s in specified} == {v.pacticipant_id for v in looked_up.versions}
    )


def _resolve_inferred(
    session: Session,
    specified: Sequence[Resolved],
    integrations: Sequence[Integration],
    options: Options,
    ignore: Sequence[Resolved],
    *,
    looked_up: repo.Lookup | None = None,
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
    prefetched = looked_up.in_environment if looked_up is not None else None
    if prefetched is None or any(
        s != Selector(s.pacticipant, environment=options.environment) for s in selectors
    ):
        return _resolve_all(session, selectors, Kind.INFERRED, others, ignore)
    # Only an environment to infer, and the lookup found the others' versions in it.
    return [
        resolved
        for s in selectors
        for resolved in resolve_selector(
            s,
            pacticipant=(others[s.pacticipant or ""], s.pacticipant or ""),
            versions=[v for v in prefetched if v.pacticipant_id == others[s.pacticipant or ""]],
            kind=Kind.INFERRED,
            ignore=ignore,
        )
    ]


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
