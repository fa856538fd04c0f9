"""What a page says when its request cannot be answered: the status and the reasons."""

from __future__ import annotations

from typing import Any

from contract_broker.errors import BrokerError, Invalid, NotFound

__all__ = ["problem_context"]


def problem_context(problem: BrokerError) -> tuple[int, dict[str, Any]]:
    """404 for something that does not exist, 400 for a bad query (each field with its
    messages); the page template is ``problem.html``."""
    if isinstance(problem, NotFound):
        return 404, {"title": "Not found", "messages": [str(problem)]}
    if isinstance(problem, Invalid):
        messages = [
            f"{field}: {message}" for field, texts in problem.errors.items() for message in texts
        ]
        return 400, {"title": "This page cannot be shown for that query", "messages": messages}
    return 400, {"title": "Bad request", "messages": [str(problem)]}
