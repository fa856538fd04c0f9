"""``invoke --list`` explains the pipeline: every task has a one-line summary, every option help."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from invoke.tasks import Task

from tasks import ns

if TYPE_CHECKING:
    from .conftest import Ran

PIPELINE = sorted(ns.task_names)
"""Every task, so a new one cannot arrive without its help texts."""

TIERS = [
    "unit",
    "contract-consumer",
    "contract-check",
    "publish",
    "provider-contract",
    "provider-verify",
    "webhook-verify",
    "can-i-deploy",
    "record-deployment",
    "record-release",
    "broker",
    "lint",
    "test",
    "ci",
]


@pytest.mark.parametrize("name", PIPELINE)
def test_every_option_has_help(name: str) -> None:
    task: Task[Callable[..., None]] = ns[name]
    parameters = list(inspect.signature(task.body).parameters)[1:]  # after the Context

    assert (task.body.__doc__ or "").strip(), f"{name} has no docstring"
    assert sorted(task.help) == sorted(parameters)


def test_invoke_list_shows_every_task(invoke: Callable[..., Ran]) -> None:
    listed = invoke("--list")

    assert listed.exited == 0, listed.output
    names = {
        found.group(1)
        for line in listed.stdout.splitlines()
        if (found := re.match(r"^  (\S+)", line))
    }
    assert names == set(PIPELINE)
    assert names >= set(TIERS)
