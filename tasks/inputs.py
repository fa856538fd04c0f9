"""What each cacheable tier reads, and its input digest: a hash over exactly those inputs.

A tier declares its files (globs from the repository root), the tools whose versions it runs
(from ``uv.lock``, plus the pinned uv and the Python it runs on) and the environment variables it
may see. The digest covers file *contents* and paths, never mtimes, so two clones of the same
commit agree on every machine; anything not declared cannot change it. A strict tier's commands
run inside ``TierInputs.environment()``: they see the basics and its declared variables only, so
no undeclared variable can change a result reused wherever the digest matches.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from tasks.tiers import REPO, declared_only

__all__ = ["DIGEST_VERSION", "INPUTS", "TierInputs", "digest", "input_files", "tool_versions"]

# Bumped when the meaning of a digest changes (what is hashed, or how), so old records never match.
DIGEST_VERSION = "1"
# Never inputs, wherever a glob reaches: build and tool leftovers.
_SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
_SKIPPED_SUFFIXES = (".pyc", ".pyo")

# What every tier reads: the lock and the workspace's settings, the shared names, and the module
# that decides a tier's environment (its allow-list is part of what a tier sees).
_COMMON_FILES = (
    "uv.lock",
    "pyproject.toml",
    "terms/pyproject.toml",
    "terms/src/**",
    "tasks/tiers.py",
    "tasks/inputs.py",
)
_PYTEST = ("pytest", "pluggy")
_PYTEST_ENV = ("PYTEST_ADDOPTS",)


@dataclass(frozen=True)
class TierInputs:
    """A tier's declared inputs; ``outputs`` are files it writes that a cache hit restores.

    ``strict``: its commands see only the basics and ``env`` (``environment``); a tier that is
    not strict sees the whole allow-listed environment of ``tasks.tiers.tier_env``.
    """

    name: str
    command: str  # what runs: part of the digest, so a changed recipe reruns
    files: tuple[str, ...]
    tools: tuple[str, ...]
    env: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    strict: bool = True

    def all_files(self) -> tuple[str, ...]:
        return (*_COMMON_FILES, *self.files)

    def environment(self) -> AbstractContextManager[None]:
        """Run the tier's action inside this: a strict tier's commands then see the basics
        (``tasks.tiers.BASIC_NAMES``) and exactly the variables its digest covers."""
        return declared_only(self.env) if self.strict else nullcontext()


INPUTS: dict[str, TierInputs] = {
    tier.name: tier
    for tier in (
        TierInputs(
            "unit-consumer",
            "consumer: pytest tests/unit",
            ("consumer/pyproject.toml", "consumer/src/**", "consumer/tests/conftest.py",
             "consumer/tests/unit/**"),
            ("billing-service", "requests", *_PYTEST),
            _PYTEST_ENV,
        ),
        TierInputs(
            "unit-provider",
            "provider: pytest tests/unit",
            ("provider/pyproject.toml", "provider/src/**", "provider/tests/conftest.py",
             "provider/tests/unit/**"),
            ("user-service", "fastapi", "pydantic", "starlette", "uvicorn", "pact-python",
             "pact-python-ffi", *_PYTEST),
            _PYTEST_ENV,
        ),
        TierInputs(
            "provider-openapi",
            "provider: python -m user_service_contract.openapi --out DOCUMENT [--variant V]",
            ("provider/pyproject.toml", "provider/src/**"),
            ("user-service", "fastapi", "pydantic", "starlette"),
            (),
            ("user-service.openapi.json",),
        ),
        TierInputs(
            "provider-self-verification",
            "provider: pytest tests/unit, its output kept as the contract's self-verification",
            ("provider/pyproject.toml", "provider/src/**", "provider/tests/conftest.py",
             "provider/tests/unit/**"),
            ("user-service", "fastapi", "pydantic", "starlette", "uvicorn", "pact-python",
             "pact-python-ffi", *_PYTEST),
            _PYTEST_ENV,
            ("self-verification.txt",),
        ),
        TierInputs(
            # The replay of a pact against the app: the provider's whole app and the harness,
            # nothing of its tests. A verification's record is keyed by this digest together with
            # the pact's content SHA (``extra={"pact": sha}``): one record per pact.
            "provider-verify",
            "provider: python -m user_service_contract (each pact replayed against the app)",
            ("provider/pyproject.toml", "provider/src/**"),
            ("user-service", "fastapi", "pydantic", "starlette", "uvicorn", "pact-python",
             "pact-python-ffi"),
            strict=False,  # a replay runs as verify runs (with the broker's settings)
        ),
        TierInputs(
            "unit-broker",
            "broker: pytest tests/unit",
            ("broker/pyproject.toml", "broker/src/**", "broker/tests/conftest.py",
             "broker/tests/support/**", "broker/tests/data/**", "broker/tests/unit/**"),
            ("contract-broker", "fastapi", "pydantic", "sqlalchemy", "alembic", *_PYTEST),
            _PYTEST_ENV,
        ),
        TierInputs(
            "contract-consumer",
            "consumer: pytest tests/contract --pact-dir=PACT_DIR",
            ("consumer/pyproject.toml", "consumer/src/**", "consumer/tests/conftest.py",
             "consumer/tests/contract/**"),
            ("billing-service", "requests", "pact-python", "pact-python-ffi", *_PYTEST),
            _PYTEST_ENV,
            ("billing-service-user-service.json",),
        ),
    )
}  # fmt: skip


def input_files(tier: TierInputs, *, root: Path = REPO) -> list[Path]:
    """Every file the tier's globs match under ``root``, sorted, without tool leftovers."""
    found: set[Path] = set()
    for pattern in tier.all_files():
        # ``dir/**`` means every file below dir (pathlib's own ``**`` matches folders only).
        for path in root.glob(pattern + "/*" if pattern.endswith("**") else pattern):
            relative = path.relative_to(root)
            if path.is_file() and not _skipped(relative):
                found.add(relative)
    return sorted(found)


def _skipped(relative: Path) -> bool:
    return bool(_SKIPPED_PARTS & set(relative.parts)) or relative.name.endswith(_SKIPPED_SUFFIXES)


def tool_versions(tier: TierInputs, *, root: Path = REPO) -> dict[str, str]:
    """The tier's tools as ``uv.lock`` pins them, with the pinned uv and this Python."""
    locked = _locked_versions((root / "uv.lock").read_bytes())
    settings = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    versions = {name: locked.get(name, "not locked") for name in tier.tools}
    versions["uv"] = str(settings.get("tool", {}).get("uv", {}).get("required-version", "any"))
    versions["python"] = platform.python_version()
    return versions


@functools.lru_cache(maxsize=4)
def _locked_versions(lock: bytes) -> dict[str, str]:
    """Each locked package's version; parsed once per lock content (a run digests several tiers)."""
    parsed = tomllib.loads(lock.decode("utf-8"))
    return {p["name"]: str(p.get("version", "workspace")) for p in parsed.get("package", [])}


def _lines(
    tier: TierInputs, root: Path, environ: Mapping[str, str], extra: Mapping[str, str]
) -> Iterator[str]:
    yield f"digest {DIGEST_VERSION}"
    yield f"tier {tier.name}"
    yield f"command {tier.command}"
    for key, value in sorted(extra.items()):
        yield f"option {key}={value}"
    for name, version in sorted(tool_versions(tier, root=root).items()):
        yield f"tool {name}=={version}"
    for name in sorted(tier.env):
        seen = environ.get(name)
        yield f"env {name}" + ("" if seen is None else f"={seen}")
    for relative in input_files(tier, root=root):
        content = hashlib.sha256((root / relative).read_bytes()).hexdigest()
        yield f"file {relative.as_posix()} {content}"


def digest(
    tier: TierInputs,
    *,
    root: Path = REPO,
    environ: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
) -> str:
    """The tier's input digest (sha256 hex) over its declared inputs under ``root``.

    ``extra`` is what the call adds to the recipe (an option such as the pact folder's name).
    """
    lines = _lines(tier, root, os.environ if environ is None else environ, extra or {})
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
