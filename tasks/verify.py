"""Provider tiers: provider-verify (a pact folder, or the broker's selection) and webhook-verify.

Both run the one verification harness (``python -m user_service_contract``) in the provider tier
environment; only where the pacts come from and whether results are published differ.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from contract_terms import USER_SERVICE
from tasks.brokercli import (
    RETRIES_HELP,
    broker_url,
    one_line_failure,
    pact_broker,
    redact,
    retries_args,
)
from tasks.cache import CACHE_DIR, record, restore_group
from tasks.inputs import INPUTS, digest
from tasks.tiers import PROVIDER, REPO, quote
from tasks.versioning import (
    BRANCH_HELP,
    BUILD_URL_HELP,
    VERSION_HELP,
    Derived,
    derive_branch,
    derive_build_url,
    derive_version,
    derived,
)

__all__ = [
    "DEFAULT_WIP_SINCE",
    "Reused",
    "provider_verify",
    "shard_args",
    "webhook_verify",
    "wip_since_date",
    "workers_args",
]

DEFAULT_WIP_SINCE = date(2026, 11, 22)
"""The project's first day: every pact since then can be a work-in-progress pact."""

WIP_SINCE_VARIABLE = "PACT_WIP_SINCE"

VERIFY_TIER = "provider-verify"
"""The input digest (tasks/inputs.py) that keys each pact's recorded verification."""
RESULT = "result.json"
NO_CACHE_HELP = (
    "replay every pact, even those with a recorded success for this pact content and the "
    "provider's input digest (invoke digest provider-verify)"
)


def wip_since_date(option: str) -> date:
    """``--wip-since``, else ``PACT_WIP_SINCE``, else the project's first day."""
    text = option or os.environ.get(WIP_SINCE_VARIABLE, "")
    if not text:
        return DEFAULT_WIP_SINCE
    try:
        return date.fromisoformat(text)
    except ValueError:
        source = "--wip-since" if option else WIP_SINCE_VARIABLE
        raise Exit(f"{source} must be a date like 2026-11-22, got {text!r}") from None


_SHARD = re.compile(r"\s*(\d{1,4})\s*/\s*(\d{1,4})\s*")


def workers_args(text: str) -> list[str]:
    """``--workers N`` for the harness; empty or 0: its default (the CPUs it may use)."""
    value = text.strip()
    if not value.isdigit():
        if not value:
            return []
        raise Exit(
            f"--workers must be a whole number (0 or nothing: the CPUs, at most 8), got {text!r}"
        )
    return ["--workers", str(int(value))] if int(value) else []


def shard_args(text: str) -> list[str]:
    """``--shard K/N`` for the harness, checked here: 1 <= K <= N."""
    if not text:
        return []
    found = _SHARD.fullmatch(text)
    index, count = (int(found.group(1)), int(found.group(2))) if found else (0, 0)
    if not 1 <= index <= count:
        raise Exit(f"--shard must be K/N with 1 <= K <= N (e.g. 2/4), got {text!r}")
    return ["--shard", f"{index}/{count}"]


def on_ci() -> bool:
    """True on a CI runner (``CI=true``, as GitHub Actions and most CI services set it)."""
    return os.environ.get("CI", "").strip().lower() == "true"


@task(
    name="provider-verify",
    help={
        "pact_dir": "verify the local pact files in this folder instead of the broker's",
        "provider_url": "verify this running provider instead of starting the app in-process",
        "state_change_url": "provider-state endpoint of --provider-url (without it states are "
        "skipped with a warning)",
        "variant": "verify a breaking variant of the app: username or id-string (a demonstration)",
        "provider_version": f"provider {VERSION_HELP}",
        "provider_branch": f"provider {BRANCH_HELP}",
        "build_url": BUILD_URL_HELP,
        "wip_since": f"include work-in-progress pacts created since this date (default: "
        f"{WIP_SINCE_VARIABLE}, else {DEFAULT_WIP_SINCE.isoformat()})",
        "publish": "publish the results to the broker (the default only when CI=true)",
        "retries": RETRIES_HELP,
        "workers": "verify pacts in this many processes, each with its own app instance and "
        "provider states (default: the CPUs the harness may use, at most 8; 1: one after another)",
        "shard": "verify only share K of N of the pacts, e.g. 2/4 (a CI matrix: each runner "
        "verifies and publishes a disjoint share; can-i-deploy needs every shard)",
        "no_cache": NO_CACHE_HELP,
    },
)
def provider_verify(
    c: Context,
    *,
    pact_dir: str = "",
    provider_url: str = "",
    state_change_url: str = "",
    variant: str = "",
    provider_version: str = "",
    provider_branch: str = "",
    build_url: str = "",
    wip_since: str = "",
    publish: bool = False,
    retries: str = "",
    workers: str = "",
    shard: str = "",
    no_cache: bool = False,
) -> Reused | None:
    """Verify user-service against its consumers' pacts: --pact-dir, else the broker's choice."""
    share = workers_args(workers) + shard_args(shard)
    if pact_dir:
        if publish:
            raise Exit("--publish needs pacts from the broker: drop --pact-dir")
        source = ["--pact-dir", str(REPO / pact_dir)]
    else:
        source = _broker_source(
            c,
            provider_version=provider_version,
            provider_branch=provider_branch,
            build_url=build_url,
            wip_since=wip_since,
            publish=publish,
            variant=variant,
            retries=retries,
        )
    source += share
    return _verify(
        c,
        source,
        provider_url=provider_url,
        state_change_url=state_change_url,
        variant=variant,
        no_cache=no_cache,
    )


@task(
    name="webhook-verify",
    help={
        "pact_url": "the one pact to verify: the URL the webhook delivered (${pactbroker.pactUrl})",
        "provider_version": f"provider {VERSION_HELP}",
        "provider_branch": f"provider {BRANCH_HELP}",
        "build_url": BUILD_URL_HELP,
        "variant": "verify a breaking variant of the app instead (a demonstration, used by "
        "`ci --breaking` on its embedded broker; its failing result is published)",
        "no_cache": NO_CACHE_HELP,
    },
)
def webhook_verify(
    c: Context,
    *,
    pact_url: str = "",
    provider_version: str = "",
    provider_branch: str = "",
    build_url: str = "",
    variant: str = "",
    no_cache: bool = False,
) -> Reused | None:
    """Verify exactly the one pact a broker webhook named, and publish the result."""
    if not pact_url:
        raise Exit(
            "webhook-verify needs --pact-url: the pact URL the broker's webhook delivered "
            "(${pactbroker.pactUrl})"
        )
    if not pact_url.startswith(("http://", "https://")):
        raise Exit(f"--pact-url must be an http(s) URL, got {redact(pact_url)!r}")
    version, branch = _provider_identity(provider_version, provider_branch)
    print(f"webhook-verify: {redact(pact_url)} as {USER_SERVICE} {version}, branch {branch}")
    print("verification results: published to the broker (webhook-verify always publishes)")
    # A user:password in the URL is the broker's Basic auth: it goes to the harness through its
    # environment (commands are echoed), and wins over a token as it would in the URL.
    parts = urlsplit(pact_url)
    credentials = {}
    if parts.username is not None:
        credentials = {
            "PACT_BROKER_USERNAME": unquote(parts.username),
            "PACT_BROKER_PASSWORD": unquote(parts.password or ""),
            "PACT_BROKER_TOKEN": "",
        }
    bare = redact(pact_url)
    source = ["--pact-url", bare, *_publish_args(version.value, branch.value, build_url)]
    return _verify(c, source, variant=variant, no_cache=no_cache, env=credentials)


def _broker_source(
    c: Context,
    *,
    provider_version: str,
    provider_branch: str,
    build_url: str,
    wip_since: str,
    publish: bool,
    variant: str,
    retries: str,
) -> list[str]:
    """Harness arguments that verify what the broker selects, after a reachability check."""
    url = broker_url("provider-verify", instead="--pact-dir DIR (local pacts)")
    if publish and variant:
        raise Exit("--publish with --variant: a breaking variant's results are never published")
    since = wip_since_date(wip_since)
    version, branch = _provider_identity(provider_version, provider_branch)
    # The verifier blocks for minutes on a broker it cannot use; the CLI says why in a second.
    check = pact_broker(c, "list-pacticipants", *retries_args(retries))
    if check.exited:
        raise Exit(
            one_line_failure(
                "list-pacticipants",
                check.output,
                base_url=url,
                doing="provider-verify (checking the broker first)",
            )
        )
    print(
        f"provider-verify: pacts from {redact(url)} (mainBranch, deployedOrReleased, "
        f"matchingBranch; pending; WIP since {since.isoformat()}) "
        f"for {USER_SERVICE} {version}, branch {branch}"
    )
    args = ["--broker-url", url, "--wip-since", since.isoformat(), *retries_args(retries)]
    if variant:
        print("verification results: not published (a --variant is a demonstration)")
    elif publish or on_ci():
        why = "--publish" if publish else "CI=true"
        print(f"verification results: published to the broker ({why})")
        return args + _publish_args(version.value, branch.value, build_url)
    else:
        print("verification results: not published (not on CI; pass --publish to publish them)")
    return [*args, "--provider-version", version.value, "--provider-branch", branch.value]


def _provider_identity(version: str, branch: str) -> tuple[Derived, Derived]:
    """The provider version and branch, derived exactly as publish derives the consumer's."""
    return (
        derived(
            lambda: derive_version(
                os.environ, repo=REPO, explicit=version, option="--provider-version"
            )
        ),
        derived(
            lambda: derive_branch(
                os.environ, repo=REPO, explicit=branch, option="--provider-branch"
            )
        ),
    )


def _publish_args(version: str, branch: str, build_url: str) -> list[str]:
    args = ["--provider-version", version, "--provider-branch", branch, "--publish"]
    link = derive_build_url(os.environ, explicit=build_url)
    return [*args, "--build-url", link] if link else args


def _verify(
    c: Context,
    source: list[str],
    *,
    provider_url: str = "",
    state_change_url: str = "",
    variant: str = "",
    no_cache: bool = False,
    env: dict[str, str] | None = None,
) -> Reused | None:
    args = ["python", "-m", "user_service_contract", *source]
    for flag, value in (
        ("--provider-url", provider_url),
        ("--state-change-url", state_change_url),
        ("--variant", variant),
    ):
        if value:
            args += [flag, value]
    # A running provider or a breaking variant is not what the input digest describes.
    if no_cache or provider_url or variant:
        _run_harness(c, args, env)
        return None
    with tempfile.TemporaryDirectory(prefix="provider-verify-") as temp:
        return _verify_with_records(c, args, Path(temp), env)


def _verify_with_records(
    c: Context,
    args: list[str],
    temp: Path,
    env: dict[str, str] | None = None,
    *,
    store: Path = CACHE_DIR,
) -> Reused:
    """Per pact: a recorded success for (pact SHA, the provider's input digest) is not replayed.

    Every record of this digest is restored from the tier cache into one folder and the harness
    runs once: it lists the pacts and takes the records of those it lists. Each pact's new
    success is recorded afterwards, whatever the others did; failures never are. The digest is
    computed once: a record is filed under the digest it names, and only if that is this run's.
    """
    key = digest(INPUTS[VERIFY_TIER])
    reuse, fresh = temp / "reuse", temp / "record"
    reuse.mkdir()
    restore_group(VERIFY_TIER, key, reuse, RESULT, store=store)
    records = ["--input-digest", key, "--reuse-dir", str(reuse), "--record-dir", str(fresh)]
    counts = temp / "counts.json"
    try:
        _run_harness(c, [*args, *records, "--counts-out", str(counts)], env)
        return Reused.read(counts, key)
    finally:
        for found in sorted(fresh.glob("*.json")):
            if _names(found) == (found.stem, key):
                # Replaces any record there: the harness replayed the pact because it was unsound.
                record(
                    _pact_key(key, found.stem),
                    VERIFY_TIER,
                    {RESULT: found},
                    store=store,
                    group=(key, found.stem),
                )


@dataclass(frozen=True)
class Reused:
    """How many of a passing run's pacts had their recorded success reused, not replayed."""

    pacts: int
    reused: int
    digest: str

    @property
    def every_pact(self) -> bool:
        return 0 < self.pacts == self.reused

    @property
    def note(self) -> str:
        if not self.reused:
            return ""
        share = f"all {self.pacts}" if self.every_pact else f"{self.reused} of {self.pacts}"
        return f"{share} pact result(s) reused: digest {self.digest[:12]}"

    @classmethod
    def read(cls, path: Path, digest: str) -> Reused:
        """The harness's ``--counts-out``; nothing reused if it is missing or unreadable."""
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
            return cls(int(found["pacts"]), int(found["reused"]), digest)
        except (OSError, ValueError, KeyError, TypeError):
            return cls(0, 0, digest)


def _pact_key(key: str, sha: str) -> str:
    """The cache entry of one pact's record: the provider's input digest and the pact's SHA."""
    return hashlib.sha256(f"{VERIFY_TIER}\n{key}\npact {sha}\n".encode()).hexdigest()


def _names(path: Path) -> tuple[str, str] | None:
    """(pact SHA, input digest) a record file names; None if it is not a whole record."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict):
        return None
    return str(found.get("pact")), str(found.get("inputDigest"))


def _run_harness(c: Context, args: list[str], env: dict[str, str] | None = None) -> None:
    result = PROVIDER.run(c, quote(*args), warn=True, **(env or {}))
    if result.exited == 2:
        raise Exit("provider verification refused its input (see the error above)", code=2)
    if result.exited == 4:
        raise Exit("provider verification could not use the broker (see the error above)", code=4)
    if result.exited == 3:
        raise Exit(
            "provider verification passed, but the results of some pacts could not be "
            "published to the broker (named above; the others were published): run it again",
            code=3,
        )
    if result.exited:
        raise Exit("provider verification failed (see the summary above)", code=result.exited)
