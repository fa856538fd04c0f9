"""One pipeline run syncs each tier's environment once (``synced``), and independent waits run
at the same time (``together``)."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import uuid

import pytest

from tasks.processes import together
from tasks.tiers import CONSUMER, PROVIDER, REPO, Tier, TierSyncError, synced, tier_env


def test_inside_synced_a_tier_runs_without_syncing_again_and_syncs_again_after() -> None:
    assert "--exact" in CONSUMER.uv_run()

    with synced([CONSUMER]):
        prefix = CONSUMER.uv_run()
        assert prefix == ["env", f"VIRTUAL_ENV={CONSUMER.venv}"]
        assert tier_env(CONSUMER)["PATH"].startswith(f"{CONSUMER.venv / 'bin'}:")
        # It runs in the tier's environment, with what the tier's commands are given.
        ran = subprocess.run(
            [*prefix, "python", "-c", "import sys, billing_service; print(sys.prefix)"],
            env=tier_env(CONSUMER),
            capture_output=True,
            text=True,
            check=True,
        )
        assert ran.stdout.strip() == str(CONSUMER.venv)
        # Only the tiers it synced.
        assert "--exact" in PROVIDER.uv_run()

    assert CONSUMER.uv_run()[:5] == ["uv", "run", "--quiet", "--locked", "--exact"]
    assert "VIRTUAL_ENV" not in tier_env(CONSUMER)


def test_a_tier_that_cannot_be_synced_raises_and_keeps_syncing_before_each_command() -> None:
    broken = Tier("nothing", "no-such-package", REPO / "consumer")

    with pytest.raises(TierSyncError, match="cannot sync the nothing tier's environment: "):  # noqa: SIM117
        with synced([CONSUMER, broken]):
            pytest.fail("the block ran although a sync failed")

    assert "--exact" in broken.uv_run()
    assert "--exact" in CONSUMER.uv_run()


def test_sync_leaves_an_exact_environment_alone_and_repairs_one_that_is_not() -> None:
    # A scratch environment of the consumer's member: removing a locked package from it must
    # not pass ``uv sync --check``, so the real sync puts it back.
    scratch = Tier(f"synctest-{uuid.uuid4().hex[:8]}", "billing-service", REPO / "consumer")
    python = str(scratch.venv / "bin" / "python")

    def imports_requests() -> bool:
        probe = [python, "-c", "import requests"]
        return subprocess.run(probe, capture_output=True, check=False).returncode == 0

    try:
        scratch.sync()
        assert imports_requests()
        scratch.sync()  # exact already: only checked
        assert imports_requests()

        removed = subprocess.run(
            ["uv", "pip", "uninstall", "--python", python, "requests"],
            env=tier_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert removed.returncode == 0, removed.stderr
        assert not imports_requests()
        scratch.sync()
        assert imports_requests()
    finally:
        shutil.rmtree(scratch.venv, ignore_errors=True)


def test_together_runs_the_calls_at_once_and_keeps_their_order() -> None:
    # Each call waits for the other: run one after the other, they would time out.
    barrier = threading.Barrier(2, timeout=5)

    def meet(name: str) -> str:
        barrier.wait()
        return name

    assert together(lambda: meet("first"), lambda: meet("second")) == ["first", "second"]


def test_together_raises_the_first_failure_after_every_call_ended() -> None:
    ended: list[str] = []

    def fail() -> str:
        raise ValueError("broken")

    def slow() -> str:
        time.sleep(0.2)
        ended.append("slow")
        return "slow"

    with pytest.raises(ValueError, match="broken"):
        together(fail, slow)
    assert ended == ["slow"]
