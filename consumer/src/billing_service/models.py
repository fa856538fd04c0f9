"""The user as billing sees it: only the fields billing reads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class User:
    """A user billing can invoice. Extra fields the user service sends are ignored on purpose."""

    id: int
    name: str
    email: str
