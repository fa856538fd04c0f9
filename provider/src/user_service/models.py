"""The resources as the service stores and serves them.

Response models forbid extra fields, so the OpenAPI document says ``additionalProperties: false``:
a consumer that reads a field the service does not define is told so by the provider contract.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class User(BaseModel):
    """A user of the platform."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int
    name: str
    email: str


class NotFound(BaseModel):
    """Why a resource was not found (FastAPI's ``HTTPException`` body)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    detail: str
