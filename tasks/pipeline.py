"""``invoke ci``: the whole consumer-driven contract pipeline on this machine, offline.

An embedded broker (fresh SQLite in a temp dir; or the broker at ``PACT_BROKER_BASE_URL``) and
a loopback receiver for its webhook stand in for a team's broker and GitHub. The same tasks run
here as in CI, in the order the pipelines run there:

0. provider: provider-contract (its last main-branch build published its OpenAPI document)
1. consumer: unit → contract-consumer → contract-check (the pact against that document) →
   publish → can-i-deploy (refused: nothing verified in test yet)
2. webhook: the broker's dispatch arrives → webhook-verify of exactly that pact
3. provider: unit → provider-verify (publishing) → can-i-deploy → deploy to test
4. consumer: can-i-deploy (now allowed) → deploy to test
5. promotion: both through the same gate to production

With ``--breaking`` the provider's document and app are the ``username`` variant: contract-check
fails first (expected, naming the field), then the replay fails the same way and can-i-deploy
refuses.

Each deploy is the deploy task's gate (can-i-deploy, start, health check, record-deployment),
on free loopback ports with its state in the temp dir; everything started is stopped at the end.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from invoke.context import Context
from invoke.exceptions import Exit, UnexpectedExit
from invoke.tasks import task
from rich.console import Console
from rich.table import Table

from contract_terms import BILLING_SERVICE, ENVIRONMENTS, PRODUCTION, TEST, USER_SERVICE
from deploy.config import DeployConfig, Slots, load_config
from deploy.gate import deploy_through_gate, stop_all
from tasks import broker_setup, checks, contract_check, contracts, provider_contracts, verify
from tasks.brokercli import BASE_URL, checked, pact_broker, pointing_at, redact
from tasks.cache import Outcome
from tasks.embedded import embedded_broker
from tasks.processes import free_port, together
from tasks.tiers import BROKER, CONSUMER, PROVIDER, REPO, sync_all, synced
from tasks.versioning import derive_branch, derive_version, derived
from tasks.webhooks import DispatchReceiver

__all__ = ["ci"]

console = Console(highlight=False, width=max(Console().width, 110))
DISPATCH_TIMEOUT = 30.0

# The embedded broker may call the loopback receiver over plain http (and only there).
EMBEDDED_BROKER_SETTINGS = {
    "PACT_BROKER_WEBHOOK_SCHEME_WHITELIST": "http https",
    "PACT_BROKER_WEBHOOK_HOST_WHITELIST": "127.0.0.1",
    "PACT_BROKER_WEBHOOK_RETRY_SCHEDULE": "1 2 5",
    "PACT_BROKER_WEBHOOK_POLL_SECONDS": "0.2",
}


class StageFailed(Exception):
    """A stage failed; the pipeline stops (the message is its one-line reason)."""


@dataclass
class Stage:
    pipeline: str
    name: str
    outcome: str = "not run"
    seconds: float = 0.0
    note: str = ""


@dataclass
class Run:
    """The stages run so far, for the summary."""

    stages: list[Stage] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    no_cache: bool = False

    @contextmanager
    def stage(self, pipeline: str, name: str) -> Iterator[Stage]:
        stage = Stage(pipeline, name)
        self.stages.append(stage)
        console.rule(f"[bold]{pipeline}[/] · {name}")
        began = time.perf_counter()
        try:
            yield stage
        except (Exit, UnexpectedExit) as exc:
            stage.outcome = "failed"
            stage.note = stage.note or _reason(exc)
            raise StageFailed(f"{pipeline} · {name}: {stage.note}") from exc
        else:
            if stage.outcome == "not run":
                stage.outcome = "passed"
        finally:
            stage.seconds = time.perf_counter() - began
            console.print(f"[dim]{name}: {stage.outcome} in {stage.seconds:.1f} s[/]")

    def cached(self, stage: Stage, outcomes: list[Outcome]) -> None:
        """Mark ``stage`` cached when every tier it ran was reused from the cache."""
        if outcomes and all(o.cached for o in outcomes):
            stage.outcome = "cached"
            stage.note = "digest " + ", ".join(o.short for o in outcomes)

    def reused(self, stage: Stage, reused: verify.Reused | None) -> None:
        """A verification stage: cached when every pact's recorded success was reused (its
        results were still published for this version, or found there already)."""
        if reused is None:
            return
        if reused.every_pact:
            stage.outcome = "cached"
        stage.note = reused.note

    def summary(self) -> Table:
        reused = sum(1 for stage in self.stages if stage.outcome == "cached")
        table = Table(
            title=f"invoke ci — {time.perf_counter() - self.started:.1f} s in all; "
            f"{reused} tier(s) reused from the cache" + (" (--no-cache)" if self.no_cache else "")
        )
        for column in ("pipeline", "tier", "result", "seconds", "note"):
            table.add_column(column, justify="right" if column == "seconds" else "left")
        colours = {
            "passed": "green",
            "cached": "cyan",
            "failed": "red",
            "refused": "yellow",
            "skipped": "dim",
        }
        for stage in self.stages:
            expected = stage.outcome.endswith("(expected)")
            colour = "yellow" if expected else colours.get(stage.outcome.split()[0], "white")
            note = stage.note if len(stage.note) <= 70 else stage.note[:69] + "…"
            table.add_row(
                stage.pipeline,
                stage.name,
                f"[{colour}]{stage.outcome}[/]",
                f"{stage.seconds:.1f}",
                note,
            )
        return table


def _reason(exc: BaseException) -> str:
    if isinstance(exc, Exit):
        message = str(exc.message or "").strip()
        return message.splitlines()[0] if message else f"exit status {exc.code}"
    return "a command failed (its output is above)"


def _sandbox(c: Context, *, url: str, version: str, branch: str, receiver_url: str | None) -> None:
    """Prepare the embedded broker as ``invoke broker-setup`` prepares a team's (environments,
    main branches, the webhook aimed at the loopback receiver), and record the provider's head.

    In this sandbox the branch being built is the main line of both applications, and the
    provider's current build is its head: a new pact then requires its verification.
    """

    def head() -> str:
        args = ["--pacticipant", USER_SERVICE, "--version", version, "--branch", branch]
        checked(c, "create-or-update-version", *args, base_url=url)
        return f"version {version} of {USER_SERVICE}: the head of {branch}"

    steps = broker_setup.set_up(
        c, base_url=url, main_branch=branch, webhook_url=receiver_url, then=[head]
    )
    console.print("\n".join(steps))


def _check_remote(c: Context, url: str) -> None:
    """A remote broker must have been prepared: one line naming broker-setup when it was not."""
    lacking = broker_setup.missing(c, base_url=url)
    if lacking:
        raise Exit(
            f"ci: the broker at {redact(url)} is not set up for this pipeline (missing: "
            f"{', '.join(lacking)}): run `{broker_setup.COMMAND}` first"
        )


def _pair_check(c: Context, version: str) -> str:
    """can-i-deploy for the two versions together: what the broker says about this pair."""
    outcome = pact_broker(
        c,
        "can-i-deploy",
        "--pacticipant",
        BILLING_SERVICE,
        "--version",
        version,
        "--pacticipant",
        USER_SERVICE,
        "--version",
        version,
    )
    console.print(outcome.output)
    return "allowed" if not outcome.exited else "refused"


@task(
    help={
        "breaking": "run with the provider variant that returns `username` instead of `name`: "
        "contract-check fails early, verification fails with the field message, can-i-deploy "
        "refuses, exit non-zero",
        "no_cache": "run every tier, even those whose input digest has a recorded success",
    }
)
def ci(c: Context, breaking: bool = False, no_cache: bool = False) -> None:
    """The whole pipeline, offline: consumer, webhook, provider; prints a summary with times."""
    run = Run(no_cache=no_cache)
    external = os.environ.get(BASE_URL, "").strip()
    if breaking and external:
        raise Exit(
            "--breaking publishes a failing verification: it only runs on the embedded "
            f"broker (unset {BASE_URL})"
        )
    version = derived(lambda: derive_version(os.environ, repo=REPO, explicit="")).value
    branch = derived(lambda: derive_branch(os.environ, repo=REPO, explicit="")).value
    console.print(
        f"[bold]invoke ci[/]: version {version}, branch {branch}"
        + (" — with the breaking provider variant" if breaking else "")
    )
    failure: str | None = None
    with ExitStack() as stack:
        # Each tier's environment is synced exactly from the lock once, here; the tiers'
        # commands then run in them without syncing again. The broker's first, then the others'
        # while the broker starts (or is checked).
        stack.enter_context(synced([BROKER]))
        broker = ExitStack()  # the embedded broker, when there is one
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ci-")))
        stack.callback(broker.close)  # stopped with the deployments; here if it comes to that
        with ThreadPoolExecutor(max_workers=1) as pool:
            syncing = pool.submit(sync_all, [CONSUMER, PROVIDER])
            if external:
                url = external
                console.print(
                    f"broker: {redact(url)} (PACT_BROKER_BASE_URL); the webhook pipeline is "
                    "skipped: a remote broker cannot reach this machine's receiver"
                )
                _check_remote(c, url)
            else:
                url = broker.enter_context(embedded_broker(directory, env=EMBEDDED_BROKER_SETTINGS))
            syncing.result()
        stack.enter_context(synced([CONSUMER, PROVIDER], already=True))
        receiver = None
        if not external:
            receiver = stack.enter_context(DispatchReceiver())
            console.print(f"broker: embedded at {url} (log: {directory / 'broker.log'})")
            stack.enter_context(pointing_at(url))
        deployments = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ci-deploy-")))
        config = _private_deployments(deployments)
        stack.callback(_stop, config, broker)
        try:
            _pipeline(
                c,
                run,
                url=url,
                version=version,
                branch=branch,
                receiver=receiver,
                breaking=breaking,
                sandbox=not external,
                config=config,
            )
        except StageFailed as exc:
            failure = str(exc)
    console.print(run.summary())
    if failure:
        raise Exit(f"ci failed at {failure}")


def _pipeline(
    c: Context,
    run: Run,
    *,
    url: str,
    version: str,
    branch: str,
    receiver: DispatchReceiver | None,
    breaking: bool,
    sandbox: bool,
    config: DeployConfig,
) -> None:
    if sandbox:
        with run.stage("setup", "environments, main branches, webhook"):
            _sandbox(
                c,
                url=url,
                version=version,
                branch=branch,
                receiver_url=receiver.url if receiver else None,
            )

    # 0. the provider's last main-branch build published its contract
    variant = "username" if breaking else ""
    with run.stage("provider", "provider-contract") as stage:
        parts = provider_contracts.provider_contract(
            c, version=version, branch=branch, variant=variant, no_cache=run.no_cache
        )
        stage.note = f"{variant} variant's OpenAPI published" if breaking else "OpenAPI published"
        if parts and all(part.cached for part in parts):
            # Published every time; what it publishes was reused.
            stage.note += f" (reused: digest {', '.join(part.short for part in parts)})"

    # 1. consumer pipeline
    with run.stage("consumer", "unit") as stage:
        run.cached(stage, checks.unit(c, member=CONSUMER.name, no_cache=run.no_cache))
    with run.stage("consumer", "contract-consumer") as stage:
        run.cached(stage, [checks.contract_consumer(c, no_cache=run.no_cache)])
    _contract_check(c, run, version=version, branch=branch, breaking=breaking)
    with run.stage("consumer", "publish"):
        contracts.publish(c, version=version, branch=branch)
    with run.stage("consumer", f"can-i-deploy to {TEST}") as stage:
        try:
            contracts.can_i_deploy(
                c, pacticipant=BILLING_SERVICE, version=version, to_environment=TEST
            )
            stage.note = "allowed"
        except Exit:
            stage.outcome = "refused (expected)"
            stage.note = f"{USER_SERVICE} has not verified it in {TEST} yet"

    # 2. webhook pipeline: what the broker's dispatch starts
    if receiver is not None:
        with run.stage("webhook", "dispatch received") as stage:
            dispatch = receiver.next(DISPATCH_TIMEOUT)
            stage.note = f"for {USER_SERVICE} {dispatch.sha} ({dispatch.branch})"
        with run.stage("webhook", "webhook-verify") as stage:
            try:
                reused = verify.webhook_verify(
                    c,
                    pact_url=dispatch.pact_url,
                    provider_version=dispatch.sha,
                    provider_branch=dispatch.branch,
                    variant=variant,
                    no_cache=run.no_cache,
                )
            except (Exit, UnexpectedExit):
                if breaking:
                    _show_refusal(c, run, version)
                raise
            run.reused(stage, reused)
    else:
        run.stages.append(
            Stage("webhook", "dispatch received", "skipped", note="needs the embedded broker")
        )

    # 3. provider pipeline
    with run.stage("provider", "unit") as stage:
        run.cached(stage, checks.unit(c, member=PROVIDER.name, no_cache=run.no_cache))
    with run.stage("provider", "provider-verify") as stage:
        reused = verify.provider_verify(
            c,
            provider_version=version,
            provider_branch=branch,
            publish=True,
            no_cache=run.no_cache,
        )
        run.reused(stage, reused)
    with run.stage("provider", f"can-i-deploy to {TEST}"):
        contracts.can_i_deploy(c, pacticipant=USER_SERVICE, version=version, to_environment=TEST)
    _deploy(c, run, "provider", USER_SERVICE, version=version, environment=TEST, config=config)

    # 4. the consumer may now deploy
    with run.stage("consumer", f"can-i-deploy to {TEST}"):
        contracts.can_i_deploy(c, pacticipant=BILLING_SERVICE, version=version, to_environment=TEST)
    _deploy(c, run, "consumer", BILLING_SERVICE, version=version, environment=TEST, config=config)

    # 5. promotion: the provider first (the consumer's gate needs it there), then the consumer
    _deploy(
        c, run, "provider", USER_SERVICE, version=version, environment=PRODUCTION, config=config
    )
    _deploy(
        c, run, "consumer", BILLING_SERVICE, version=version, environment=PRODUCTION, config=config
    )


def _contract_check(c: Context, run: Run, *, version: str, branch: str, breaking: bool) -> None:
    """The consumer's early check; with ``breaking`` it must fail, and the pipeline goes on."""
    with run.stage("consumer", "contract-check") as stage:
        try:
            contract_check.contract_check(c, version=version, branch=branch)
        except contract_check.ContractCheckFailed as exc:
            if not breaking:
                raise
            stage.outcome = "failed (expected)"
            # The table names the interaction and field; the full line is printed above.
            stage.note = exc.lines[0].split(" fails ", 1)[-1]
        else:
            if breaking:
                raise Exit("contract-check passed against the username variant's contract")
            stage.note = f"compatible with {USER_SERVICE}'s contract"


def _deploy(
    c: Context,
    run: Run,
    pipeline: str,
    pacticipant: str,
    *,
    version: str,
    environment: str,
    config: DeployConfig,
) -> None:
    """The deploy gate: can-i-deploy, start, health check, switch, record-deployment."""
    with run.stage(pipeline, f"deploy to {environment}") as stage:
        deployed = deploy_through_gate(
            c, pacticipant=pacticipant, version=version, environment=environment, config=config
        )
        stage.note = f"health-checked at {deployed.url}, recorded"


def _private_deployments(state_dir: Path) -> DeployConfig:
    """The deployment description with state in ``state_dir`` and free loopback ports.

    ``invoke ci`` must not replace what a developer runs under ``.deploy/`` or on its ports.
    """
    config = load_config()
    slots = {
        key: Slots(value.host, (free_port(), free_port())) for key, value in config.slots.items()
    }
    return dataclasses.replace(config, state_dir=state_dir, slots=slots)


def _stop(config: DeployConfig, broker: ExitStack) -> None:
    """Stop what was deployed, every environment at once, and the embedded broker meanwhile."""

    def stop(environment: str) -> list[str]:
        return [
            f"stopped in {environment}: {line}" for line in stop_all(environment, config=config)
        ]

    def stop_broker() -> list[str]:
        broker.close()
        return []

    stops = [partial(stop, environment) for environment in ENVIRONMENTS]
    for lines in together(*stops, stop_broker):
        for line in lines:
            console.print(f"[dim]{line}[/]")


def _show_refusal(c: Context, run: Run, version: str) -> None:
    """After a failed verification: what can-i-deploy now says about the pair."""
    with run.stage("webhook", "can-i-deploy (the pair)") as stage:
        answer = _pair_check(c, version)
        stage.outcome = answer
        stage.note = (
            "the broker refuses: the verification failed"
            if answer == "refused"
            else "unexpectedly allowed"
        )
