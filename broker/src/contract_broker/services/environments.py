"""Environments: create, replace, delete. Names are unique and have no spaces."""

from __future__ import annotations

import uuid as uuids
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contract_broker.errors import Invalid, NotFound
from contract_broker.models import Environment
from contract_broker.repositories import environments as repo
from contract_broker.repositories.unique import insert_new
from contract_broker.services.names import MAX_NAME, check_name, display_name_for

__all__ = [
    "create_environment",
    "delete_environment",
    "display_name_for",
    "get_environment",
    "list_environments",
    "replace_environment",
]


def list_environments(session: Session, name: str | None = None) -> list[Environment]:
    """Every environment by display name (or the one with this name)."""
    return list(repo.list_environments(session, name))


def get_environment(session: Session, uuid: str) -> Environment:
    environment = repo.find_environment(session, uuid)
    if environment is None:
        raise NotFound(f"No environment with uuid '{uuid}' found")
    return environment


def _values(
    session: Session, body: dict[str, Any], *, current: Environment | None
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name = body.get("name")
    try:
        check_name("name", name, allow_spaces=False)
    except Invalid as exc:
        errors.update(exc.errors)
    else:
        existing = repo.find_environment_by_name(session, str(name))
        if existing is not None and existing is not current:
            errors["name"] = [f"Another environment with name '{name}' already exists."]
    production = body.get("production")
    if not isinstance(production, bool):
        errors["production"] = ["is missing or not a boolean (true or false)"]
    display_name = body.get("displayName")
    if display_name is not None and not isinstance(display_name, str):
        errors["displayName"] = ["must be a string"]
    elif display_name is not None and len(display_name) > MAX_NAME:
        errors["displayName"] = [f"cannot be longer than {MAX_NAME} characters"]
    contacts = body.get("contacts")
    if contacts is not None:
        if not isinstance(contacts, list):
            errors["contacts"] = ["must be a list"]
        else:
            for index, contact in enumerate(contacts):
                if not isinstance(contact, dict) or not isinstance(contact.get("name"), str):
                    errors[f"contacts.{index}.name"] = ["is missing"]
                elif "details" in contact and not isinstance(contact["details"], dict):
                    errors[f"contacts.{index}.details"] = ["must be an object"]
    if errors:
        raise Invalid(errors)
    return {
        "name": name,
        "display_name": display_name
        if display_name and display_name.strip()
        else display_name_for(str(name)),
        "production": production,
        "contacts": contacts,
    }


def create_environment(session: Session, body: dict[str, Any]) -> Environment:
    """POST /environments (the uuid may be given, as the Pact Broker allows)."""
    values = _values(session, body, current=None)
    given = body.get("uuid")
    if given is not None:
        if not isinstance(given, str) or not given.strip() or len(given) > 64:
            raise Invalid.field("uuid", "must be a non-blank string of at most 64 characters")
        if repo.find_environment(session, given) is not None:
            raise Invalid.field("uuid", f"Another environment with uuid '{given}' already exists.")
    environment = insert_new(session, Environment, {"uuid": given or str(uuids.uuid4()), **values})
    if environment is None:  # a concurrent request created it after the checks above
        if given is not None and repo.find_environment(session, given) is not None:
            raise Invalid.field("uuid", f"Another environment with uuid '{given}' already exists.")
        raise Invalid.field(
            "name", f"Another environment with name '{values['name']}' already exists."
        )
    return environment


def replace_environment(session: Session, uuid: str, body: dict[str, Any]) -> Environment:
    environment = get_environment(session, uuid)
    values = _values(session, body, current=environment)
    for column, value in values.items():
        setattr(environment, column, value)
    try:
        session.flush()
    except IntegrityError:  # a concurrent request took the name after the check above
        raise Invalid.field(
            "name", f"Another environment with name '{values['name']}' already exists."
        ) from None
    return environment


def delete_environment(session: Session, uuid: str) -> None:
    if not repo.delete_environment(session, get_environment(session, uuid).id):
        raise NotFound(f"No environment with uuid '{uuid}' found")
