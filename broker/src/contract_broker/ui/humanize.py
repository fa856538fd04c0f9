"""Jinja filters that print times, version SHAs and environment titles for people."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = ["env_title", "register", "relative", "sha", "when"]

# 12 or more hex digits, at least one a letter: an all-digit number (a build number, a date
# like 202611301302) is not a SHA; a SHA without a letter is a 1 in 10^8 chance. It may carry
# semver build metadata: `invoke ci` publishes `<sha>+dirty.<digest>` from uncommitted work.
SHA = re.compile(r"(?P<sha>(?=[0-9]*[a-fA-F])[0-9a-fA-F]{12,})(?P<build>\+[0-9A-Za-z.-]+)?")
SHORT = 8
DAYS_BEFORE_A_DATE = 30


def _moment(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    # SQLite hands back naive datetimes, which are UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'} ago"


def relative(moment: datetime, now: datetime) -> str:
    """'just now', 'N minutes/hours/days ago', then the date once it is over 30 days old."""
    seconds = int((now - moment).total_seconds())
    if seconds < 60:  # a clock a little ahead of ours reads as 'just now' too
        return "just now" if seconds > -60 else moment.strftime("%Y-%m-%d")
    if seconds < 3600:
        return _plural(seconds // 60, "minute")
    if seconds < 86400:
        return _plural(seconds // 3600, "hour")
    days = seconds // 86400
    if days <= DAYS_BEFORE_A_DATE:
        return _plural(days, "day")
    return moment.strftime("%Y-%m-%d")


def when(value: datetime | str | None, now: datetime | None = None) -> Markup:
    """A <time> element: relative text, the exact UTC time on hover and in datetime=."""
    if value is None or value == "":
        return Markup("")
    try:
        moment = _moment(value)
    except ValueError:  # not a time after all: show it as it is, escaped
        return escape(value)
    now = _moment(now) if now is not None else datetime.now(UTC)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        moment.strftime("%Y-%m-%d %H:%M:%S UTC"),
        relative(moment, now),
    )


def sha(value: object) -> Markup:
    """A version number that looks like a git SHA, shortened to 8 with the full one on hover
    (build metadata after a `+` is kept: `3c5b0f2a+dirty.0123456789ab`)."""
    if value is None:
        return Markup("")
    text = str(value)
    found = SHA.fullmatch(text)
    if found is None:
        return escape(text)
    short = found["sha"][:SHORT] + (found["build"] or "")
    return Markup('<code class="sha" title="{0}" data-full="{0}">{1}</code>').format(text, short)


def _same(a: str, b: str) -> bool:
    def key(s: str) -> str:
        return re.sub(r"[\W_]+", "", s).casefold()

    return key(a) == key(b)


def env_title(value: Any, name: str | None = None) -> str:
    """An environment's display name, followed by its name only when that says something more.

    Takes an environment (anything with name/display_name, as attributes or keys), or the
    display name and the name.
    """
    if isinstance(value, Mapping):
        display, name = value.get("display_name"), value.get("name")
    elif hasattr(value, "name") and not isinstance(value, str):
        display, name = getattr(value, "display_name", None), value.name
    else:
        display = value
    display = str(display or name or "")
    if not name or _same(display, name):
        return display
    return f"{display} ({name})"


def register(environment: Environment) -> None:
    """Make the filters available to every template as |when, |sha and |env_title."""
    environment.filters.update(when=when, sha=sha, env_title=env_title)
