"""The local action cache: a tier whose input digest has a recorded success is not run again.

``.cache/tiers/<digest>/`` holds ``record.json`` (which tier, when, how long it took) and the
tier's outputs, restored byte for byte on a hit. Only successes are recorded: a failing tier
raises before anything is written. The store is bounded; the oldest records go first.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from tasks.inputs import INPUTS, TierInputs, digest, input_files, tool_versions
from tasks.tiers import REPO

__all__ = [
    "CACHE_DIR",
    "MAX_BYTES",
    "Outcome",
    "cache",
    "clear",
    "evict",
    "record",
    "restore",
    "restore_group",
    "run_cached",
    "tier_digest",
]

CACHE_DIR = REPO / ".cache" / "tiers"
MAX_BYTES = 64 * 1024 * 1024
RECORD = "record.json"
STAGING = ".staging-"
STALE_STAGING_SECONDS = 3600
"""A staging folder this old belongs to a run that was killed: it is removed."""


@dataclass(frozen=True)
class Outcome:
    """How a cacheable tier ended: run (and recorded), or reused from the cache."""

    tier: str
    digest: str
    cached: bool

    @property
    def short(self) -> str:
        return self.digest[:12]


def run_cached(
    inputs: TierInputs,
    action: Callable[[], object],
    *,
    outputs: Mapping[str, Path] | None = None,
    no_cache: bool = False,
    store: Path = CACHE_DIR,
    max_bytes: int = MAX_BYTES,
    root: Path = REPO,
    extra: Mapping[str, str] | None = None,
) -> Outcome:
    """Run ``action`` unless the tier's digest has a recorded success; then restore ``outputs``
    (their names in the record → where they go) instead. ``no_cache`` runs it regardless (and
    records the success)."""
    outputs = dict(outputs or {})
    key = digest(inputs, root=root, extra=extra)
    entry = store / key
    if not no_cache and _restore(entry, outputs):
        print(f"{inputs.name}: cached (digest {key[:12]}), not run")
        return Outcome(inputs.name, key, cached=True)
    began = time.perf_counter()
    with inputs.environment():  # a strict tier sees only the basics and its declared names
        action()  # raises on failure: nothing is recorded
    record(
        key,
        inputs.name,
        outputs,
        seconds=time.perf_counter() - began,
        store=store,
        max_bytes=max_bytes,
    )
    return Outcome(inputs.name, key, cached=False)


def restore(key: str, outputs: Mapping[str, Path], *, store: Path = CACHE_DIR) -> bool:
    """Restore the outputs recorded under ``key``; False (a miss) if there is no sound record."""
    return _restore(store / key, outputs)


def record(
    key: str,
    tier: str,
    outputs: Mapping[str, Path],
    *,
    seconds: float = 0.0,
    store: Path = CACHE_DIR,
    max_bytes: int = MAX_BYTES,
    group: tuple[str, str] | None = None,
) -> None:
    """Record ``outputs`` as ``tier``'s success under ``key``, replacing any record there.

    ``group``: (group, name) for a record that is one of many under one digest (a pact's result
    under the provider's input digest): ``restore_group`` finds it by the group."""
    _record(store / key, tier, seconds, outputs, group)
    evict(store, max_bytes)


_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}")


def restore_group(
    tier: str, group: str, folder: Path, output: str, *, store: Path = CACHE_DIR
) -> list[str]:
    """Restore the ``output`` of every sound record of ``tier`` in ``group`` to
    ``folder/<name>.json``, one folder for a run to pick from; the names restored.

    A record whose name is not a plain file name is skipped: it cannot reach outside ``folder``.
    """
    restored = []
    for entry in _folders(store):
        try:
            found = json.loads((entry / RECORD).read_text(encoding="utf-8"))
            name, kept = found.get("name"), (found.get("tier"), found.get("group"))
        except (OSError, ValueError, AttributeError):
            continue
        if kept != (tier, group) or not isinstance(name, str) or not _NAME.fullmatch(name):
            continue
        if _restore(entry, {output: folder / f"{name}.json"}):
            restored.append(name)
    return sorted(restored)


def _restore(entry: Path, outputs: Mapping[str, Path]) -> bool:
    # Another run may replace or evict the entry meanwhile, or it may be damaged: a miss.
    try:
        record = json.loads((entry / RECORD).read_text(encoding="utf-8"))
        kept: dict[str, str] = record.get("outputs", {})
        if not isinstance(kept, dict) or set(kept) != set(outputs):
            return False
        contents = {name: (entry / "outputs" / name).read_bytes() for name in kept}
        if any(hashlib.sha256(contents[name]).hexdigest() != sha for name, sha in kept.items()):
            return False  # a damaged record is a miss, never a wrong output
        for name, destination in outputs.items():
            _write_atomically(destination, contents[name])
    except (OSError, ValueError, AttributeError):
        return False
    return True


def _write_atomically(destination: Path, content: bytes) -> None:
    """A reader of ``destination`` sees the old file or the whole new one, never a part."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{destination.name}.", dir=destination.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temp, destination)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _record(
    entry: Path,
    tier: str,
    seconds: float,
    outputs: Mapping[str, Path],
    group: tuple[str, str] | None = None,
) -> None:
    entry.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=entry.parent))
    try:
        (staging / "outputs").mkdir()
        kept = {}
        for name, source in outputs.items():
            if not source.is_file():
                return  # the tier did not write what it declares: not a success to reuse
            shutil.copyfile(source, staging / "outputs" / name)
            kept[name] = hashlib.sha256(source.read_bytes()).hexdigest()
        written = {"tier": tier, "created": time.time(), "seconds": seconds, "outputs": kept}
        if group is not None:
            written["group"], written["name"] = group
        (staging / RECORD).write_text(json.dumps(written, indent=2, sort_keys=True) + "\n")
        shutil.rmtree(entry, ignore_errors=True)
        try:
            os.replace(staging, entry)
        except OSError:
            # Another run recorded the same digest meanwhile: same inputs, same success.
            if not (entry / RECORD).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _folders(store: Path) -> list[Path]:
    """The record folders of the store (not another run's staging folder)."""
    # pathlib's * matches dot names: a staging folder is not a record
    found = (path.parent for path in store.glob(f"*/{RECORD}"))
    return [entry for entry in found if not entry.name.startswith(".")]


def _entries(store: Path) -> list[tuple[float, int, Path]]:
    """(created, bytes, folder) of each record, oldest first."""
    found = []
    for entry in _folders(store):
        record_path = entry / RECORD
        try:
            created = float(json.loads(record_path.read_text(encoding="utf-8"))["created"])
        except (ValueError, KeyError, TypeError, OSError):
            created = 0.0
        found.append((created, _size(entry), entry))
    return sorted(found)


def _size(folder: Path) -> int:
    """Bytes of the files in ``folder``; files another run removes meanwhile count nothing."""
    total = 0
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            total += path.stat().st_size if path.is_file() else 0
    return total


def _remove_stale_staging(store: Path, now: float | None = None) -> list[Path]:
    """Staging folders older than an hour: left by a run that was killed mid-record."""
    limit = (time.time() if now is None else now) - STALE_STAGING_SECONDS
    removed = []
    for folder in store.glob(f"{STAGING}*"):
        with contextlib.suppress(OSError):
            if folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


def evict(store: Path = CACHE_DIR, max_bytes: int = MAX_BYTES) -> list[Path]:
    """Remove the oldest records until the store holds at most ``max_bytes``; what went (staging
    folders of killed runs, older than an hour, go too)."""
    _remove_stale_staging(store)
    entries = _entries(store)
    total = sum(size for _, size, _ in entries)
    removed = []
    for _, size, entry in entries:
        if total <= max_bytes:
            break
        shutil.rmtree(entry, ignore_errors=True)
        total -= size
        removed.append(entry)
    return removed


def clear(store: Path = CACHE_DIR) -> int:
    """Empty the store; how many records it held."""
    count = len(_entries(store))
    shutil.rmtree(store, ignore_errors=True)
    return count


def tier_digest(name: str) -> TierInputs:
    if name not in INPUTS:
        raise Exit(f"unknown tier {name!r}: choose one of {', '.join(INPUTS)}")
    return INPUTS[name]


@task(
    name="digest",
    help={
        "tier": f"the tier: {', '.join(INPUTS)}",
        "explain": "also list every input: files, tools with their versions, environment names",
        "github_output": "also write digest=<hex> to $GITHUB_OUTPUT (a workflow's cache key)",
    },
)
def digest_task(c: Context, tier: str, explain: bool = False, github_output: bool = False) -> None:
    """Print a tier's input digest (contents of its declared inputs; keys the tier caches)."""
    inputs = tier_digest(tier)
    if github_output:
        target = os.environ.get("GITHUB_OUTPUT", "")
        if not target:
            raise Exit("--github-output: GITHUB_OUTPUT is not set (it is, in a workflow step)")
        with Path(target).open("a", encoding="utf-8") as out:
            out.write(f"digest={digest(inputs)}\n")
    if explain:
        for name, version in sorted(tool_versions(inputs).items()):
            print(f"tool {name} {version}")
        for name in inputs.env:
            print(f"env  {name}")
        for relative in input_files(inputs):
            print(f"file {relative.as_posix()}")
    print(digest(inputs))


@task(help={"clear": "remove every record (the next run of each tier runs it)"})
def cache(c: Context, clear: bool = False) -> None:
    """The local tier cache in .cache/tiers/: its records and size, or --clear to empty it."""
    where = CACHE_DIR.relative_to(REPO)
    if clear:
        print(f"cache: removed {_clear(CACHE_DIR)} record(s) from {where}")
        return
    entries = _entries(CACHE_DIR)
    size = sum(s for _, s, _ in entries)
    print(
        f"cache: {len(entries)} record(s), {size / 1024:.0f} KiB of {MAX_BYTES // 1024**2} MiB "
        f"in {where}"
    )
    for created, size_bytes, entry in reversed(entries):  # newest first
        try:
            record = json.loads((entry / RECORD).read_text(encoding="utf-8"))
            tier, outputs = str(record["tier"]), sorted(record.get("outputs", {}))
        except (ValueError, KeyError, OSError):
            tier, outputs = "(unreadable record)", []
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created))
        kept = f"; restores {', '.join(outputs)}" if outputs else ""
        print(f"  {entry.name[:12]}  {tier:<28} {when}  {size_bytes / 1024:.0f} KiB{kept}")


_clear = clear
