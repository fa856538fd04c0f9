"""Which version, branch and build URL a build publishes under: options, CI variables, then git.

Precedence, first non-empty wins:

- version: ``--version``, ``GIT_COMMIT``, ``GITHUB_SHA``, ``git rev-parse HEAD``
- branch: ``--branch``, ``GIT_BRANCH``, ``GITHUB_HEAD_REF`` (pull requests), ``GITHUB_REF_NAME``,
  ``git rev-parse --abbrev-ref HEAD``
- build URL: ``--build-url``, ``$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID``

A version read from git on a dirty working tree becomes ``<sha>+dirty.<digest>``, the digest
covering ``git diff HEAD`` and every untracked, non-ignored file: two different contracts
published from uncommitted work never share a version number, and the same work always gets the
same one.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from invoke.exceptions import Exit

__all__ = [
    "BRANCH_HELP",
    "BUILD_URL_HELP",
    "DIGEST_LENGTH",
    "VERSION_HELP",
    "Derived",
    "VersionError",
    "derive_branch",
    "derive_build_url",
    "derive_version",
    "derived",
    "uncommitted_digest",
]

VERSION_VARIABLES = ("GIT_COMMIT", "GITHUB_SHA")
BRANCH_VARIABLES = ("GIT_BRANCH", "GITHUB_HEAD_REF", "GITHUB_REF_NAME")
DIGEST_LENGTH = 12

# Option help shared by the tasks that take a version, a branch or a build URL.
VERSION_HELP = (
    "version (default: GIT_COMMIT, GITHUB_SHA, else the git commit; uncommitted work adds "
    "+dirty.<digest>)"
)
BRANCH_HELP = "branch (default: GIT_BRANCH, GITHUB_HEAD_REF, GITHUB_REF_NAME, else the git branch)"
BUILD_URL_HELP = "link to the build (default: the GitHub Actions run when on GitHub)"


class VersionError(Exception):
    """The version or branch cannot be derived; the message says what to set."""


@dataclass(frozen=True)
class Derived:
    """A derived value and where it came from (``--version``, ``GIT_COMMIT``, ``git`` ...)."""

    value: str
    source: str

    def __str__(self) -> str:
        return f"{self.value} (from {self.source})"


def derived(derive: Callable[[], Derived]) -> Derived:
    """Run one of the derivations below in a task: its failure becomes a one-line ``Exit``."""
    try:
        return derive()
    except VersionError as exc:
        raise Exit(str(exc)) from None


def derive_version(
    env: Mapping[str, str], *, repo: Path, explicit: str = "", option: str = "--version"
) -> Derived:
    """The pacticipant version: ``explicit`` (given as ``option``), else a CI variable, else the
    commit (with a dirty suffix for uncommitted work)."""
    if explicit:
        return Derived(explicit, option)
    for name in VERSION_VARIABLES:
        if env.get(name):
            return Derived(env[name], name)
    sha = _git(repo, "rev-parse", "--verify", "HEAD", want="the commit").decode().strip()
    digest = uncommitted_digest(repo)
    if digest is None:
        return Derived(sha, "git")
    return Derived(f"{sha}+dirty.{digest}", "git, uncommitted changes")


def derive_branch(
    env: Mapping[str, str], *, repo: Path, explicit: str = "", option: str = "--branch"
) -> Derived:
    """The branch: ``explicit`` (given as ``option``), else a CI variable, else git's branch."""
    if explicit:
        return Derived(explicit, option)
    for name in BRANCH_VARIABLES:
        if env.get(name):
            return Derived(env[name], name)
    branch = _git(repo, "rev-parse", "--abbrev-ref", "HEAD", want="the branch").decode().strip()
    if branch == "HEAD":
        raise VersionError(
            f"cannot tell the branch: git is on a detached HEAD; set GIT_BRANCH or pass {option}"
        )
    return Derived(branch, "git")


def derive_build_url(env: Mapping[str, str], *, explicit: str = "") -> str | None:
    """The link to the build: explicit, else the GitHub Actions run, else none."""
    if explicit:
        return explicit
    parts = [env.get(n, "") for n in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    if all(parts):
        server, repository, run_id = parts
        return f"{server.rstrip('/')}/{repository}/actions/runs/{run_id}"
    return None


def uncommitted_digest(repo: Path) -> str | None:
    """A short digest of the uncommitted changes in ``repo``; ``None`` when the tree is clean.

    Covers tracked changes, staged or not (``git diff HEAD``, binary-safe and free of local diff
    drivers), then each untracked, non-ignored file's path and content in path order.
    """
    diff = _git(
        repo,
        "diff",
        "HEAD",
        "--binary",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        want="the uncommitted changes",
    )
    listing = _git(
        repo, "ls-files", "--others", "--exclude-standard", "-z", want="the untracked files"
    )
    untracked = sorted(name for name in listing.split(b"\0") if name)
    if not diff and not untracked:
        return None
    digest = hashlib.sha256(diff)
    for name in untracked:
        path = repo / name.decode("utf-8", "surrogateescape")
        digest.update(b"\0untracked\0" + name + b"\0")
        digest.update(_content(path))
    return digest.hexdigest()[:DIGEST_LENGTH]


def _content(path: Path) -> bytes:
    # A symlink is versioned as its target path, so hash that rather than what it points at.
    if path.is_symlink():
        return str(path.readlink()).encode("utf-8", "surrogateescape")
    return path.read_bytes()


def _git(repo: Path, *args: str, want: str) -> bytes:
    hint = "set GIT_COMMIT and GIT_BRANCH, or pass --version and --branch"
    try:
        done = subprocess.run(["git", *args], cwd=repo, capture_output=True, check=False)
    except FileNotFoundError:
        raise VersionError(f"cannot read {want}: git is not installed; {hint}") from None
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        detail = reason[-1] if reason else f"git {args[0]} failed"
        raise VersionError(f"cannot read {want} from git in {repo} ({detail}); {hint}")
    return done.stdout
