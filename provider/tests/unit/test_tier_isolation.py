"""The provider tier sees only what it declares: the consumer is not installed here."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import user_service


def test_consumer_package_is_not_importable() -> None:
    assert importlib.util.find_spec("billing_service") is None


def test_the_deployable_app_knows_nothing_of_pact() -> None:
    package = Path(user_service.__file__).parent
    imported = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
    assert "fastapi" in imported  # the scan does see imports
    assert not imported & {"pact", "user_service_contract", "contract_terms"}
