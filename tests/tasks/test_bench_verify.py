"""bench-verify's parts: the generated pacts and reading the verifier's time per interaction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contract_terms import USER_SERVICE
from tasks.bench_verify import generate_pacts, interaction_times


def test_pacts_share_the_interactions_between_consumers(tmp_path: Path) -> None:
    paths = generate_pacts(tmp_path, interactions=25, consumers=4)

    pacts = [json.loads(path.read_text()) for path in paths]
    assert [len(pact["interactions"]) for pact in pacts] == [7, 6, 6, 6]
    assert {pact["provider"]["name"] for pact in pacts} == {USER_SERVICE}
    assert len({pact["consumer"]["name"] for pact in pacts}) == 4
    paths_asked = [i["request"]["path"] for pact in pacts for i in pact["interactions"]]
    assert len(set(paths_asked)) == 25


@pytest.mark.parametrize(
    ("line", "seconds"),
    [
        ("  a request for user 1 (8ms loading, 162ms verification)", 0.162),
        ("  a request (0s loading, 1s 20ms verification)", 1.02),
        ("  a request (1ms loading, 950µs verification)", 0.00095),
    ],
)
def test_the_time_per_interaction_is_read_from_the_output(line: str, seconds: float) -> None:
    assert interaction_times(f"header\n{line}\n") == [pytest.approx(seconds)]
