"""The one provider-verification function, used by the verify tiers and by the tests."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contract_terms import USER_SERVICE
from user_service_contract.broker import BrokerClient, BrokerError, without_userinfo
from user_service_contract.plan import Plan, Shard, VerifiablePact
from user_service_contract.publishing import PublishOptions, publish_result
from user_service_contract.report import VerificationReport
from user_service_contract.reuse import ResultCache
from user_service_contract.sources import LocalPacts, PactSource, PactUrl, SourceError
from user_service_contract.variants import Variant

if TYPE_CHECKING:
    from user_service_contract.replay import Replayed

__all__ = ["PublishOptions", "plan_pacts", "verify_provider"]

Echo = Callable[[str], None]


def verify_provider(
    source: PactSource,
    *,
    provider_url: str | None = None,
    state_change_url: str | None = None,
    variant: Variant | None = None,
    publish: PublishOptions | None = None,
    provider: str = USER_SERVICE,
    workers: int | None = None,
    shard: Shard | None = None,
    plan: Plan | None = None,
    cache: ResultCache | None = None,
    retries: int | None = None,
    worker_timeout: float | None = None,
    echo: Echo = print,
) -> VerificationReport:
    """Replay every interaction of ``source`` against the provider and report what failed.

    Without ``provider_url`` the real app is started in-process on a free loopback port (as
    ``variant`` if given), with provider states applied to its repository, reset before each
    pact; with ``workers`` > 1 (default: the CPUs this process may use, at most 8) pacts are
    replayed in that many processes, each with its own app. With ``provider_url`` an already
    running provider is verified, one pact after another; states go to ``state_change_url``,
    or are skipped with a warning when there is none. ``shard`` verifies only that share of
    the pacts. Each pact is verified on its own and, with ``publish``, its result published
    once, with its ``testResults``.

    ``plan``: this share of the pacts as ``plan_pacts`` listed them (the broker is not asked
    again). ``cache``: a pact with a recorded success for the provider's input digest is not
    replayed; its recorded result is published for this version (marked reused) unless the
    broker has one already; new successes are recorded.

    ``worker_timeout``: seconds a worker process may take (default: from its pacts' size).
    ``retries``: tries again per broker call (default: ``PACT_BROKER_HTTP_RETRIES``, else 8).
    A pact whose result cannot be published does not stop the others: the report's
    ``unpublished`` names it.
    """
    if publish is not None and isinstance(source, LocalPacts):
        raise SourceError("results can only be published for pacts fetched from a broker")
    if provider_url is not None:
        if variant is not None:
            raise SourceError("a breaking variant only applies to the in-process provider")
        if state_change_url is None:
            echo(
                "warning: no --state-change-url given: provider states are not set up, "
                "interactions run against whatever data the provider has"
            )
    if plan is not None:
        client, pacts, everything = _client(source, retries), list(plan.pacts), plan.total
    else:
        client, pacts = _plan(source, provider, retries)
        everything = len(pacts)
    if isinstance(source, LocalPacts):
        # The states import the app; a broker run that replays nothing never needs it.
        from user_service_contract.states import KNOWN_STATES

        unknown = source.provider_states(provider) - KNOWN_STATES - {""}
        if unknown:
            return VerificationReport(
                problems=[
                    f"the pacts use provider state(s) user-service does not implement: "
                    f"{', '.join(sorted(repr(s) for s in unknown))}"
                ]
            )
    if shard is not None and plan is None:
        pacts = shard.select(pacts)
    if shard is not None:
        echo(f"shard {shard}: {len(pacts)} of {everything} pact(s)")
    if not pacts and everything:
        return VerificationReport(
            nothing_selected=True,
            notes=[f"shard {shard} has none of the {everything} pact(s): nothing to verify"],
        )
    for pact in pacts:
        for notice in pact.notices:
            echo(notice)
    reusable = cache is not None and provider_url is None and variant is None
    recorded = [cache.recorded(pact) if cache and reusable else None for pact in pacts]
    needed = [r is None or publish is not None for r in recorded]
    with tempfile.TemporaryDirectory(prefix="pacts-") as folder:
        fetched = _fetch(client, pacts, Path(folder), needed)
        to_replay = [i for i, r in enumerate(recorded) if r is None]
        replayed = _replay_all(
            [fetched[i].path for i in to_replay],
            provider_url=provider_url,
            state_change_url=state_change_url,
            variant=variant,
            provider=provider,
            workers=workers,
            worker_timeout=worker_timeout,
            echo=echo,
        )
    done = dict(zip(to_replay, replayed, strict=True))
    parts = [
        _report_of(pact, done.get(index), recorded[index], cache if reusable else None)
        for index, pact in enumerate(pacts)
    ]
    unpublished: dict[int, str] = {}
    if publish is not None:
        assert client is not None
        for index, part in enumerate(parts):
            try:
                _publish(
                    client,
                    pact=pacts[index],
                    content=fetched[index].content,
                    part=part,
                    replayed=done.get(index),
                    recorded=recorded[index],
                    options=publish,
                    cache=cache,
                    echo=echo,
                )
            except BrokerError as exc:
                # The next pacts' results are still published; the run fails naming this one.
                unpublished[index] = f"{_named(pacts[index])}: {exc}"
    for index, (pact, part) in enumerate(zip(pacts, parts, strict=True)):
        published = publish is not None and index not in unpublished
        after = pact.after_notice(success=part.all_passed, published=published)
        if after:
            echo(after)
    report = VerificationReport.merged(parts)
    report.unpublished = list(unpublished.values())
    return report


def _replay_all(
    files: list[Path],
    *,
    provider_url: str | None,
    state_change_url: str | None,
    variant: Variant | None,
    provider: str,
    workers: int | None,
    worker_timeout: float | None,
    echo: Echo,
) -> list[Replayed]:
    """Replay ``files`` (``replay.replay_all``); with none to replay, the verifier and the app
    are never imported: a run that reuses every result starts in a fraction of the time."""
    if not files:
        return []
    from user_service_contract.replay import Target, default_workers, replay_all

    return replay_all(
        files,
        Target(provider_url, state_change_url, variant),
        provider=provider,
        workers=default_workers() if workers is None else workers,
        worker_timeout=worker_timeout,
        echo=echo,
    )


def _named(pact: VerifiablePact) -> str:
    """A pact as a person finds it on the broker: consumer and short pact SHA."""
    return f"{pact.consumer or pact.location} (pact {pact.content_sha[:12]})"


def _report_of(
    pact: VerifiablePact,
    replayed: Replayed | None,
    recorded: dict[str, Any] | None,
    cache: ResultCache | None,
) -> VerificationReport:
    """One pact's report: from its replay (recorded if it passed), or its reused record."""
    results = replayed.results if replayed is not None else recorded or {}
    part = VerificationReport.from_results(
        results,
        problems=replayed.problems if replayed is not None else [],
        output=replayed.output if replayed is not None else "",
        pending=pact.pending,
        require_interactions=False,
    )
    part.pacts, part.reused = 1, int(replayed is None and recorded is not None)
    if part.no_interactions:
        part.notes.append(
            f"{_named(pact)} has no interactions: nothing to verify in it (it passes and is "
            "published as a success, as pact_ffi's verifier does)"
        )
    if cache is None:
        return part
    if recorded is not None:
        part.notes.append(
            f"reused: {pact.consumer} (pact {pact.content_sha[:12]}), the recorded success "
            f"for input digest {cache.input_digest[:12]}: not replayed"
        )
    elif part.all_passed:
        cache.record(pact, results)
    return part


def _publish(
    client: BrokerClient,
    *,
    pact: VerifiablePact,
    content: dict[str, Any],
    part: VerificationReport,
    replayed: Replayed | None,
    recorded: dict[str, Any] | None,
    options: PublishOptions,
    cache: ResultCache | None,
    echo: Echo,
) -> None:
    """Publish one pact's result once: a replay always, a reused record unless already there."""
    if replayed is not None:
        publish_result(client, content, part, replayed.results, options)
        return
    assert cache is not None
    assert recorded is not None
    if client.already_verified(content, options.version):
        # The same version may be built on another branch now (a fast-forward merge keeps the
        # commit): its result stands, and the version is recorded on this branch too.
        client.label(content, options.version, branch=options.branch, tags=options.tags)
        echo(f"{pact.consumer}: the broker has this result already")
        return
    publish_result(client, content, part, recorded, options, reused=cache.input_digest)


@dataclass(frozen=True)
class _Fetched:
    path: Path
    content: dict[str, Any]
    """The pact as the broker served it (its ``_links`` say where its result goes)."""


def _client(source: PactSource, retries: int | None = None) -> BrokerClient | None:
    if isinstance(source, LocalPacts):
        return None
    if isinstance(source, PactUrl):
        return BrokerClient.for_url(source.url, retries=retries)
    if retries is None:
        return BrokerClient(source.broker_url)
    return BrokerClient(source.broker_url, retries=retries)


def _plan(
    source: PactSource, provider: str, retries: int | None = None
) -> tuple[BrokerClient | None, list[VerifiablePact]]:
    """The broker to talk to (none for local files) and the pacts, in the stable order."""
    if isinstance(source, LocalPacts):
        pacts = []
        for path in source.pact_files(provider):
            content = path.read_bytes()
            consumer = (json.loads(content).get("consumer") or {}).get("name", "")
            pacts.append(VerifiablePact.from_file(str(path), content, str(consumer)))
        return None, sorted(pacts, key=lambda pact: pact.sort_key)
    client = _client(source, retries)
    assert client is not None
    if isinstance(source, PactUrl):
        # The URL's user:password is the client's; the plan (written to a file) never holds it.
        return client, [VerifiablePact.from_url(without_userinfo(source.url))]
    listed = client.pacts_for_verification(source, provider)
    return client, sorted(listed, key=lambda pact: pact.sort_key)


def plan_pacts(
    source: PactSource,
    *,
    provider: str = USER_SERVICE,
    shard: Shard | None = None,
    retries: int | None = None,
) -> Plan:
    """The pacts a run verifies (this shard's), in the stable order, without verifying them."""
    _, pacts = _plan(source, provider, retries)
    chosen = shard.select(pacts) if shard is not None else pacts
    return Plan(tuple(chosen), len(pacts))


def _fetch(
    client: BrokerClient | None, pacts: list[VerifiablePact], folder: Path, needed: list[bool]
) -> list[_Fetched]:
    """Local files as they are; broker pacts fetched into ``folder`` without their links."""
    fetched = []
    for number, pact in enumerate(pacts):
        if client is None or not needed[number]:
            fetched.append(_Fetched(Path(pact.location), {}))
            continue
        content = client.get(pact.location)
        path = folder / f"pact-{number}.json"
        # Without _links the verifier treats it as a plain file and never calls the broker.
        plain = {key: value for key, value in content.items() if key != "_links"}
        path.write_text(json.dumps(plain), encoding="utf-8")
        fetched.append(_Fetched(path, content))
    return fetched
