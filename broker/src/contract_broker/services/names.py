"""Validation of the names clients send (pacticipants, versions, branches, tags, environments)."""

from __future__ import annotations

import re

from contract_broker.errors import Invalid

__all__ = ["MAX_NAME", "check_name", "display_name_for"]

MAX_NAME = 255


def check_name(field: str, value: object, *, allow_spaces: bool = True) -> str:
    """``value`` if it is a usable name, else ``Invalid`` saying why."""
    if not isinstance(value, str):
        raise Invalid.field(field, f"must be a string, not {type(value).__name__}")
    if not value.strip():
        raise Invalid.field(field, "cannot be blank")
    if "\n" in value or "\r" in value:
        raise Invalid.field(field, "cannot contain a new line")
    if len(value) > MAX_NAME:
        raise Invalid.field(field, f"cannot be longer than {MAX_NAME} characters")
    if not allow_spaces and any(c.isspace() for c in value):
        raise Invalid.field(field, "cannot contain spaces")
    if "\x00" in value:
        raise Invalid.field(field, "cannot contain a NUL character")
    if value in {".", ".."}:
        # URLs resolve "." and ".." segments away: such a name could never be fetched.
        raise Invalid.field(field, f"cannot be '{value}' (it cannot appear in a URL path)")
    if not value.isprintable() and any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise Invalid.field(field, "must be valid Unicode (it has a lone surrogate)")
    return value


# The Pact Broker's GenerateDisplayName, rule for rule (Ruby regexes are ASCII-only: re.ASCII).
_CAPS_BEFORE_WORD = re.compile(r"([A-Z])([A-Z])([a-z])", re.ASCII)
_LOWER_BEFORE_CAP = re.compile(r"([a-z\d])([A-Z])(\S)", re.ASCII)
_SEPARATOR = re.compile(r"(\S)([\-_\s.])(\S)", re.ASCII)
_SPACES = re.compile(r"\s+", re.ASCII)
_UNDERSCORED = re.compile(r"(?:_+)([a-z])", re.ASCII)
_WORD_START = re.compile(r"(\A|\s)([a-z])", re.ASCII)


def display_name_for(name: str) -> str:
    """The display name the Pact Broker generates: "userService" → "User Service".

    Words are split at case changes and at ``-``, ``_``, ``.`` and spaces between words, then
    capitalised; used for pacticipants and environments saved without a display name. Cut to
    ``MAX_NAME`` characters, the size of the column it is stored in.
    """
    text = _CAPS_BEFORE_WORD.sub(r"\1 \2\3", name)
    text = _LOWER_BEFORE_CAP.sub(r"\1 \2\3", text)
    text = _SEPARATOR.sub(r"\1 \3", text)
    text = _SPACES.sub(" ", text).strip(" \t\n\v\f\r")
    return " ".join(_capitalised(word) for word in text.split(" "))[:MAX_NAME] if text else ""


def _capitalised(word: str) -> str:
    word = _UNDERSCORED.sub(lambda m: m.group(1).upper(), word)
    return _WORD_START.sub(lambda m: m.group(1) + m.group(2).upper(), word)
