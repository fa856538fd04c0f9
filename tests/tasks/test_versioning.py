"""Version, branch and build-URL derivation: precedence; a dirty tree's stable, distinct digest."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tasks.versioning import (
    DIGEST_LENGTH,
    Derived,
    VersionError,
    derive_branch,
    derive_build_url,
    derive_version,
    uncommitted_digest,
)

SHA_A = "a" * 40
SHA_B = "b" * 40
HEAD = "<head>"  # stands for the test repository's HEAD commit
BOTH_SHAS = {"GIT_COMMIT": SHA_A, "GITHUB_SHA": SHA_B}
ALL_BRANCHES = {"GIT_BRANCH": "a", "GITHUB_HEAD_REF": "b", "GITHUB_REF_NAME": "c"}
PULL_REQUEST = {"GITHUB_HEAD_REF": "feat/pr", "GITHUB_REF_NAME": "42/merge"}
PUSH = {"GITHUB_HEAD_REF": "", "GITHUB_REF_NAME": "main"}
GITHUB_RUN = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "o/r",
    "GITHUB_RUN_ID": "9",
}


@pytest.mark.parametrize(
    ("explicit", "env", "expected"),
    [
        pytest.param("1.2.3", BOTH_SHAS, Derived("1.2.3", "--version"), id="option-wins"),
        pytest.param("", BOTH_SHAS, Derived(SHA_A, "GIT_COMMIT"), id="GIT_COMMIT-first"),
        pytest.param("", {"GITHUB_SHA": SHA_B}, Derived(SHA_B, "GITHUB_SHA"), id="GITHUB_SHA"),
        pytest.param(
            "", {"GIT_COMMIT": "", "GITHUB_SHA": SHA_B}, Derived(SHA_B, "GITHUB_SHA"),
            id="empty-is-unset",
        ),
        pytest.param("", {}, Derived(HEAD, "git"), id="git-on-a-clean-tree"),
    ],
)  # fmt: skip
def test_version_precedence(
    git: Callable[..., str],
    git_repo: Path,
    explicit: str,
    env: dict[str, str],
    expected: Derived,
) -> None:
    head = git(git_repo, "rev-parse", "HEAD")
    want = Derived(expected.value.replace(HEAD, head), expected.source)

    assert derive_version(env, repo=git_repo, explicit=explicit) == want


@pytest.mark.parametrize(
    ("explicit", "env", "expected"),
    [
        pytest.param("feat/x", ALL_BRANCHES, Derived("feat/x", "--branch"), id="option-wins"),
        pytest.param("", ALL_BRANCHES, Derived("a", "GIT_BRANCH"), id="GIT_BRANCH-first"),
        pytest.param(
            "", PULL_REQUEST, Derived("feat/pr", "GITHUB_HEAD_REF"), id="pull-request-head-ref"
        ),
        pytest.param("", PUSH, Derived("main", "GITHUB_REF_NAME"), id="push-empty-head-ref"),
        pytest.param("", {}, Derived("main", "git"), id="git-branch"),
    ],
)
def test_branch_precedence(
    git_repo: Path, explicit: str, env: dict[str, str], expected: Derived
) -> None:
    assert derive_branch(env, repo=git_repo, explicit=explicit) == expected


def test_an_option_names_itself_as_the_source(git_repo: Path) -> None:
    derived = derive_version({}, repo=git_repo, explicit="7", option="--provider-version")

    assert str(derived) == "7 (from --provider-version)"


@pytest.mark.parametrize(
    ("explicit", "env", "expected"),
    [
        pytest.param("https://ci.example/1", GITHUB_RUN, "https://ci.example/1", id="option"),
        pytest.param("", GITHUB_RUN, "https://github.com/o/r/actions/runs/9", id="github-run"),
        pytest.param("", {**GITHUB_RUN, "GITHUB_RUN_ID": ""}, None, id="incomplete"),
        pytest.param("", {}, None, id="none"),
    ],
)
def test_build_url(explicit: str, env: dict[str, str], expected: str | None) -> None:
    assert derive_build_url(env, explicit=explicit) == expected


def test_a_dirty_tree_gets_a_distinct_version(git: Callable[..., str], git_repo: Path) -> None:
    head = git(git_repo, "rev-parse", "HEAD")
    (git_repo / "tracked.txt").write_text("changed\n")

    version = derive_version({}, repo=git_repo)

    assert re.fullmatch(rf"{head}\+dirty\.[0-9a-f]{{{DIGEST_LENGTH}}}", version.value)
    assert version.source == "git, uncommitted changes"


def test_the_digest_is_stable_for_the_same_change(git_repo: Path) -> None:
    (git_repo / "tracked.txt").write_text("changed\n")
    (git_repo / "new.txt").write_text("new\n")

    assert uncommitted_digest(git_repo) == uncommitted_digest(git_repo)


def test_the_digest_differs_for_different_changes(git_repo: Path) -> None:
    digests = set()
    for content in ("one\n", "two\n"):
        (git_repo / "tracked.txt").write_text(content)
        digests.add(uncommitted_digest(git_repo))
    (git_repo / "tracked.txt").write_text("first\n")  # back to the commit
    for content in ("three\n", "four\n"):
        (git_repo / "untracked.txt").write_text(content)
        digests.add(uncommitted_digest(git_repo))
    (git_repo / "untracked.txt").rename(git_repo / "renamed.txt")
    digests.add(uncommitted_digest(git_repo))

    assert len(digests) == 5
    assert None not in digests


def test_staged_and_unstaged_changes_count_alike(git: Callable[..., str], git_repo: Path) -> None:
    (git_repo / "tracked.txt").write_text("changed\n")
    unstaged = uncommitted_digest(git_repo)
    git(git_repo, "add", "tracked.txt")

    assert uncommitted_digest(git_repo) == unstaged


def test_ignored_files_do_not_make_a_tree_dirty(git_repo: Path) -> None:
    (git_repo / "ignored").mkdir()
    (git_repo / "ignored" / "pact.json").write_text("{}")

    assert uncommitted_digest(git_repo) is None
    assert derive_version({}, repo=git_repo).source == "git"


def test_an_explicit_version_ignores_a_dirty_tree(git_repo: Path) -> None:
    (git_repo / "tracked.txt").write_text("changed\n")

    assert derive_version({"GIT_COMMIT": SHA_A}, repo=git_repo).value == SHA_A


def test_a_detached_head_needs_a_branch_given(git: Callable[..., str], git_repo: Path) -> None:
    git(git_repo, "checkout", "--quiet", "--detach")

    with pytest.raises(VersionError, match="detached HEAD; set GIT_BRANCH or pass --branch"):
        derive_branch({}, repo=git_repo)
    assert derive_branch({"GIT_BRANCH": "main"}, repo=git_repo).value == "main"


def test_outside_git_the_error_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(VersionError, match="set GIT_COMMIT and GIT_BRANCH") as raised:
        derive_version({}, repo=tmp_path)

    assert "\n" not in str(raised.value)


def test_a_repository_without_commits_says_what_to_set(
    git: Callable[..., str], tmp_path: Path
) -> None:
    git(tmp_path, "init", "--quiet")

    with pytest.raises(VersionError, match="cannot read the commit"):
        derive_version({}, repo=tmp_path)
