"""Provider verification against every consumer pact, and proof that breaking changes fail it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from user_service_contract import LocalPacts, verify_provider
from user_service_contract.server import running
from user_service_contract.sources import SourceError
from user_service_contract.state_endpoint import STATE_CHANGE_PATH, app_with_states
from user_service_contract.variants import Variant


def test_the_provider_honours_every_consumer_pact(pact_dir: Path) -> None:
    report = verify_provider(LocalPacts(pact_dir))

    assert report.success, report.summary()
    assert report.verified >= 2


def test_returning_username_instead_of_name_fails_naming_the_field(pact_dir: Path) -> None:
    report = verify_provider(LocalPacts(pact_dir), variant=Variant.USERNAME)

    assert not report.success
    summary = report.summary()
    assert "billing-service — a request for user 123" in summary
    assert "missing the following keys: name" in summary
    assert '"username"' in summary
    assert [m.path for m in report.mismatches] == ["$"]


def test_returning_id_as_a_string_fails_naming_the_field(pact_dir: Path) -> None:
    report = verify_provider(LocalPacts(pact_dir), variant=Variant.ID_AS_STRING)

    assert not report.success
    (mismatch,) = report.mismatches
    assert (mismatch.path, mismatch.expected, mismatch.actual) == ("$.id", "123", '"123"')
    assert "to be an integer" in mismatch.message


def test_a_running_provider_returning_username_fails(pact_dir: Path) -> None:
    app, _ = app_with_states(Variant.USERNAME)
    with running(app) as url:
        report = verify_provider(
            LocalPacts(pact_dir), provider_url=url, state_change_url=url + STATE_CHANGE_PATH
        )

    assert not report.success
    assert "missing the following keys: name" in report.summary()


def test_a_running_provider_without_state_url_warns(pact_dir: Path) -> None:
    app, _ = app_with_states()
    said: list[str] = []
    with running(app) as url:
        report = verify_provider(LocalPacts(pact_dir), provider_url=url, echo=said.append)

    assert said
    assert "provider states are not set up" in said[0]
    # user 123 is not in the seed data, so without states that interaction must fail.
    assert not report.success


def test_an_unknown_provider_state_fails_fast_naming_it(pact_dir: Path, tmp_path: Path) -> None:
    pact_file = next(pact_dir.glob("*.json"))
    content = json.loads(pact_file.read_text())
    content["interactions"][0]["providerStates"] = [{"name": "a user on the moon"}]
    (tmp_path / pact_file.name).write_text(json.dumps(content))

    report = verify_provider(LocalPacts(tmp_path))

    assert not report.success
    assert report.verified == 0
    assert "'a user on the moon'" in report.summary()


def test_an_empty_pact_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no pact for provider 'user-service'"):
        verify_provider(LocalPacts(tmp_path))


def test_a_pact_without_interactions_fails(pact_dir: Path, tmp_path: Path) -> None:
    pact_file = next(pact_dir.glob("*.json"))
    shutil.copy(pact_file, tmp_path / pact_file.name)
    content = json.loads(pact_file.read_text())
    content["interactions"] = []
    (tmp_path / pact_file.name).write_text(json.dumps(content))

    report = verify_provider(LocalPacts(tmp_path))

    assert not report.success
    assert "no interactions were verified" in report.summary()
