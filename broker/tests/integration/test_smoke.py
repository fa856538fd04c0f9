"""The official CLI publishes to the broker and reads back what it stored."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import PactCli


def test_publish_then_list(pact: PactCli, pact_file: Path) -> None:
    published = pact(
        "publish", str(pact_file), "--consumer-app-version", "1.0.0", "--branch", "main"
    )
    assert published.returncode == 0, published.stderr + published.stdout
    assert "Pact successfully published for billing-service version 1.0.0" in published.stdout

    listed = pact("list-latest-pact-versions", "-o", "table")
    assert listed.returncode == 0, listed.stderr
    assert "billing-service" in listed.stdout
    assert "1.0.0" in listed.stdout
