"""Reading a matrix or can-i-deploy query string into a ``MatrixQuery``; what is wrong with it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from contract_broker.services.matrix.types import (
    DEFAULT_LIMIT,
    LATESTBY,
    MAX_LIMIT,
    MatrixQuery,
    Options,
    QueryItems,
    Selector,
)

__all__ = [
    "NUL_PROBLEM",
    "group_selectors",
    "parse_can_i_deploy_query",
    "parse_matrix_query",
    "validate_matrix_query",
]


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
