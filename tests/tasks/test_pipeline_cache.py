"""``invoke ci`` twice in a fresh clone: the second run reuses every local tier; a provider-only
change reruns the provider's tiers and keeps the consumer's cached, its pact byte-identical."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tasks.tiers import REPO

from .conftest import scrubbed_environ

PACT = Path("pacts") / "billing-service-user-service.json"
ROW = re.compile(r"^│ (consumer|provider|webhook|setup) +│ ([^│]+?) +│ ([^│]+?) +│", re.M)


def environment() -> dict[str, str]:
    env = {
        k: v
        for k, v in scrubbed_environ().items()
        if k not in {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"}
    }
    env["COLUMNS"] = "200"
    return env


def ci(clone: Path) -> tuple[str, dict[tuple[str, str], str]]:
    env = environment()
    done = subprocess.run(
        ["uv", "run", "--locked", "--quiet", "invoke", "ci"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = {}
    for pipeline, tier, result in ROW.findall(done.stdout):
        rows.setdefault((pipeline, tier), result)  # the first row of a repeated name
    return done.stdout, rows


def test_ci_twice_reuses_every_local_tier_and_a_provider_change_reruns_the_provider(
    tmp_path: Path,
) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    cached = [("consumer", "unit"), ("consumer", "contract-consumer"), ("provider", "unit")]

    first, rows = ci(clone)
    # provider-verify reuses what webhook-verify recorded moments before, for the same pact.
    assert "1 tier(s) reused from the cache" in first
    assert [rows[key] for key in cached] == ["passed"] * 3
    assert rows[("webhook", "webhook-verify")] == "passed"
    assert rows[("provider", "provider-verify")] == "cached"
    pact = (clone / PACT).read_bytes()
    # What the workflows key their caches by is what the tiers recorded under.
    for tier in (
        "unit-consumer",
        "contract-consumer",
        "provider-openapi",
        "provider-self-verification",
        "unit-provider",
    ):
        key = subprocess.run(
            ["uv", "run", "--locked", "--quiet", "invoke", "digest", tier],
            cwd=clone,
            env=environment(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert (clone / ".cache" / "tiers" / key / "record.json").is_file(), tier

    second, rows = ci(clone)
    assert "5 tier(s) reused from the cache" in second
    assert [rows[key] for key in cached] == ["cached"] * 3
    # Both verifications reused the pact's recorded success (and still published it).
    assert rows[("webhook", "webhook-verify")] == "cached"
    assert rows[("provider", "provider-verify")] == "cached"
    assert "all 1 pact result(s) reused: digest " in second
    assert (clone / PACT).read_bytes() == pact
    # provider-contract publishes every time, what it publishes is reused.
    assert "provider-openapi: cached" in second
    assert "provider-self-verification: cached" in second
    # What talks to the broker always runs.
    assert rows[("consumer", "publish")] == "passed"

    main = clone / "provider" / "src" / "user_service" / "main.py"
    main.write_text(main.read_text() + "\n# a provider-only change\n")
    os.utime(main)
    third, rows = ci(clone)
    assert "3 tier(s) reused from the cache" in third
    assert rows[("consumer", "unit")] == "cached"
    assert rows[("consumer", "contract-consumer")] == "cached"
    assert rows[("provider", "unit")] == "passed"
    assert rows[("webhook", "webhook-verify")] == "passed"  # replayed: the provider changed
    assert rows[("provider", "provider-verify")] == "cached"  # what webhook-verify recorded
    assert "provider-self-verification: cached" not in third
    assert (clone / PACT).read_bytes() == pact
