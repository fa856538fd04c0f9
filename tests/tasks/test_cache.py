"""Input digests and the action cache: contents not mtimes, hits restore outputs byte for byte,
failures are never recorded, the store is bounded."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tasks.cache import _entries, clear, evict, record, restore, run_cached
from tasks.inputs import INPUTS, TierInputs, digest
from tasks.tiers import REPO

from .conftest import scrubbed_environ

if TYPE_CHECKING:
    from .conftest import Ran

CONSUMER_TIERS = ("unit-consumer", "contract-consumer")


@pytest.fixture(scope="module")
def clones(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two clones of this commit, one with every file's mtime set far in the past."""
    base = tmp_path_factory.mktemp("clones")
    first, second = base / "first", base / "second"
    for clone in (first, second):
        subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    for path in second.rglob("*"):
        if ".git" not in path.parts:
            os.utime(path, (1_000_000, 1_000_000), follow_symlinks=False)
    return first, second


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_two_clones_with_different_mtimes_have_the_same_digest(
    name: str, clones: tuple[Path, Path]
) -> None:
    first, second = clones
    assert digest(INPUTS[name], root=first, environ={}) == digest(
        INPUTS[name], root=second, environ={}
    )


def test_one_byte_changed_in_a_declared_input_changes_the_digest(clones: tuple[Path, Path]) -> None:
    first, _ = clones
    tier = INPUTS["unit-consumer"]
    before = digest(tier, root=first, environ={})
    source = first / "consumer" / "src" / "billing_service" / "models.py"
    original = source.read_bytes()
    try:
        source.write_bytes(original + b" ")
        assert digest(tier, root=first, environ={}) != before
    finally:
        source.write_bytes(original)
    assert digest(tier, root=first, environ={}) == before


def test_a_change_outside_the_declared_inputs_keeps_the_digest(clones: tuple[Path, Path]) -> None:
    first, _ = clones
    before = {name: digest(INPUTS[name], root=first, environ={}) for name in CONSUMER_TIERS}
    (first / "provider" / "src" / "user_service" / "models.py").write_text("# changed\n")
    (first / "README.md").write_text("changed\n")
    (first / "consumer" / "src" / "billing_service" / "__pycache__").mkdir(exist_ok=True)
    (first / "consumer" / "src" / "billing_service" / "__pycache__" / "x.pyc").write_bytes(b"1")

    after = {name: digest(INPUTS[name], root=first, environ={}) for name in CONSUMER_TIERS}

    assert after == before
    # ... while the provider's unit tier sees its own source change.
    provider = INPUTS["unit-provider"]
    assert digest(provider, root=first, environ={}) != digest(provider, environ={})


def test_a_declared_environment_variable_changes_the_digest() -> None:
    tier = INPUTS["unit-consumer"]
    assert digest(tier, environ={}) != digest(tier, environ={"PYTEST_ADDOPTS": "-x"})
    assert digest(tier, environ={}) == digest(tier, environ={"UNDECLARED": "1"})


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[TierInputs, Path]:
    """A one-file tier under ``tmp_path`` (its root) and its output's destination."""
    (tmp_path / "uv.lock").write_text("version = 1\n")
    (tmp_path / "pyproject.toml").write_text("[tool.uv]\nrequired-version = '==0.13.9'\n")
    (tmp_path / "input.txt").write_text("one\n")
    tier = TierInputs("tiny", "write out.bin", ("input.txt",), (), (), ("out.bin",))
    return tier, tmp_path / "out" / "out.bin"


def test_a_hit_skips_the_action_and_restores_its_output_byte_for_byte(
    tiny: tuple[TierInputs, Path], tmp_path: Path
) -> None:
    tier, out = tiny
    store = tmp_path / "store"
    runs: list[int] = []
    content = bytes(range(256)) * 3

    def action() -> None:
        runs.append(1)
        out.parent.mkdir(exist_ok=True)
        out.write_bytes(content)

    miss = run_cached(tier, action, outputs={"out.bin": out}, store=store, root=tmp_path)
    out.write_bytes(b"clobbered")
    hit = run_cached(tier, action, outputs={"out.bin": out}, store=store, root=tmp_path)

    assert (miss.cached, hit.cached, len(runs)) == (False, True, 1)
    assert miss.digest == hit.digest
    assert out.read_bytes() == content
    forced = run_cached(
        tier, action, outputs={"out.bin": out}, store=store, root=tmp_path, no_cache=True
    )
    assert (forced.cached, len(runs)) == (False, 2)
    (tmp_path / "input.txt").write_text("two\n")
    changed = run_cached(tier, action, outputs={"out.bin": out}, store=store, root=tmp_path)
    assert (changed.cached, len(runs)) == (False, 3)


def test_a_failure_is_never_recorded(tiny: tuple[TierInputs, Path], tmp_path: Path) -> None:
    tier, out = tiny
    store = tmp_path / "store"

    def failing() -> None:
        raise RuntimeError("tests failed")

    for _ in range(2):
        with pytest.raises(RuntimeError):
            run_cached(tier, failing, outputs={"out.bin": out}, store=store, root=tmp_path)
    assert not list(store.glob("*/record.json"))


def test_the_store_is_bounded_oldest_first(tiny: tuple[TierInputs, Path], tmp_path: Path) -> None:
    tier, out = tiny
    store = tmp_path / "store"
    digests = []
    for number in range(3):
        (tmp_path / "input.txt").write_text(f"{number}\n")

        def action() -> None:
            out.parent.mkdir(exist_ok=True)
            out.write_bytes(b"x" * 1000)

        digests.append(
            run_cached(tier, action, outputs={"out.bin": out}, store=store, root=tmp_path).digest
        )

    removed = evict(store, max_bytes=2500)

    assert [p.name for p in removed] == [digests[0]]
    assert sorted(p.name for p in store.iterdir()) == sorted(digests[1:])
    assert clear(store) == 2
    assert not store.exists()


def test_invoke_digest_prints_the_digest_and_writes_the_workflow_key(
    invoke: Callable[..., Ran], tmp_path: Path
) -> None:
    output = tmp_path / "github-output"

    ran = invoke(
        "digest", "contract-consumer", "--github-output", env={"GITHUB_OUTPUT": str(output)}
    )

    assert ran.exited == 0, ran.output
    expected = digest(INPUTS["contract-consumer"], environ={})
    assert ran.stdout.strip() == expected
    assert output.read_text() == f"digest={expected}\n"
    unknown = invoke("digest", "nothing")
    assert unknown.exited == 1
    assert "unknown tier 'nothing': choose one of unit-consumer" in unknown.stderr


def test_invoke_cache_lists_the_records_and_clear_empties_the_store(tmp_path: Path) -> None:
    """``uv run invoke cache`` and ``cache --clear`` as a developer runs them, in a clone (the
    real store is left alone)."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    shutil.copytree(REPO / "tasks", clone / "tasks", dirs_exist_ok=True)  # the tasks as they are
    store = clone / ".cache" / "tiers"
    pact = clone / "pacts" / "billing-service-user-service.json"
    pact.parent.mkdir(exist_ok=True)
    pact.write_bytes(b'{"a": "pact"}\n' * 100)
    outputs = {"billing-service-user-service.json": pact}
    contract = INPUTS["contract-consumer"]
    written = run_cached(contract, lambda: None, outputs=outputs, store=store, root=clone)
    unit = run_cached(INPUTS["unit-consumer"], lambda: None, store=store, root=clone)

    def cache(*args: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-m", "invoke", "cache", *args],
            cwd=clone,
            env=scrubbed_environ(),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert not done.stderr, done.stderr
        return done.stdout.strip().splitlines()

    header, newest, oldest = cache()
    assert re.fullmatch(r"cache: 2 record\(s\), \d+ KiB of 64 MiB in \.cache/tiers", header)
    assert newest.split()[:2] == [unit.short, "unit-consumer"]
    assert oldest.split()[:2] == [written.short, "contract-consumer"]
    assert oldest.endswith("KiB; restores billing-service-user-service.json")

    assert cache("--clear") == ["cache: removed 2 record(s) from .cache/tiers"]
    assert not store.exists()
    assert cache() == ["cache: 0 record(s), 0 KiB of 64 MiB in .cache/tiers"]
    # The next run of a tier runs it again.
    ran: list[str] = []
    again = run_cached(
        contract, lambda: ran.append("ran"), outputs=outputs, store=store, root=clone
    )
    assert ran == ["ran"]
    assert not again.cached


def test_a_damaged_or_vanishing_record_is_a_miss(
    tiny: tuple[TierInputs, Path], tmp_path: Path
) -> None:
    tier, out = tiny
    store = tmp_path / "store"
    runs: list[int] = []

    def action() -> None:
        runs.append(1)
        out.parent.mkdir(exist_ok=True)
        out.write_bytes(b"made")

    key = run_cached(tier, action, outputs={"out.bin": out}, store=store, root=tmp_path).digest
    (store / key / "record.json").write_text('{"outputs": ')  # cut short
    assert not restore(key, {"out.bin": out}, store=store)
    (store / key / "record.json").write_text('{"outputs": ["out.bin"]}')  # not a mapping
    assert not restore(key, {"out.bin": out}, store=store)
    shutil.rmtree(store / key / "outputs")  # evicted by another run between the reads
    (store / key / "record.json").write_text('{"outputs": {"out.bin": "00"}}')
    assert not restore(key, {"out.bin": out}, store=store)
    again = run_cached(tier, action, outputs={"out.bin": out}, store=store, root=tmp_path)
    assert (again.cached, len(runs)) == (False, 2)
    assert restore(key, {"out.bin": out}, store=store)  # the damaged record was replaced


def test_a_restore_replaces_the_output_whole_and_leaves_no_temporary_file(
    tiny: tuple[TierInputs, Path], tmp_path: Path
) -> None:
    tier, out = tiny
    store = tmp_path / "store"
    out.parent.mkdir()
    out.write_bytes(b"new" * 100)
    record("k", tier.name, {"out.bin": out}, store=store)
    out.write_bytes(b"old")
    reader = out.open("rb")  # a reader of the old file keeps the old file (a replace, not a copy)

    assert restore("k", {"out.bin": out}, store=store)

    assert (reader.read(), out.read_bytes()) == (b"old", b"new" * 100)
    reader.close()
    assert sorted(p.name for p in out.parent.iterdir()) == ["out.bin"]


def test_a_staging_folder_is_not_a_record_and_a_stale_one_is_removed(
    tiny: tuple[TierInputs, Path], tmp_path: Path
) -> None:
    tier, out = tiny
    store = tmp_path / "store"
    out.parent.mkdir()
    out.write_bytes(b"x" * 1000)
    record("kept", tier.name, {"out.bin": out}, store=store)
    # Another run's record half written (its record.json is there, its rename is not yet).
    writing, stale = store / ".staging-writing", store / ".staging-killed"
    for folder in (writing, stale):
        shutil.copytree(store / "kept", folder)
    os.utime(stale, (time.time() - 2 * 3600,) * 2)

    assert [entry.name for _, _, entry in _entries(store)] == ["kept"]
    removed = evict(store, max_bytes=0)

    assert [p.name for p in removed] == ["kept"]
    assert writing.is_dir()  # still being written by its run: left alone
    assert not stale.exists()  # left by a run that was killed an hour ago or more
    assert clear(store) == 0
