"""The user resource as the service stores and serves it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class User(BaseModel):
    """A user of the platform."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    email: str
