"""The page filters: relative times with the exact time on hover, short SHAs, clean titles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from jinja2 import Environment

from contract_broker.ui.humanize import env_title, register, sha, when

NOW = datetime(2026, 11, 30, 13, 5, 48, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ago", "text"),
    [
        (timedelta(seconds=0), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(seconds=-30), "just now"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(minutes=3, seconds=10), "3 minutes ago"),
        (timedelta(minutes=59, seconds=59), "59 minutes ago"),
        (timedelta(hours=1), "1 hour ago"),
        (timedelta(hours=23, minutes=59), "23 hours ago"),
        (timedelta(days=1), "1 day ago"),
        (timedelta(days=30), "30 days ago"),
        (timedelta(days=31), "2026-10-30"),
        (timedelta(days=-3), "2026-12-03"),
    ],
)
def test_when_says_how_long_ago(ago: timedelta, text: str) -> None:
    moment = NOW - ago
    assert when(moment, now=NOW) == (
        f'<time datetime="{moment:%Y-%m-%dT%H:%M:%SZ}" '
        f'title="{moment:%Y-%m-%d %H:%M:%S} UTC">{text}</time>'
    )


def test_when_reads_iso_strings_naive_datetimes_and_other_offsets_as_utc() -> None:
    expected = (
        '<time datetime="2026-11-30T13:02:48Z" title="2026-11-30 13:02:48 UTC">3 minutes ago</time>'
    )
    now = NOW + timedelta(seconds=1)
    assert when("2026-11-30T13:02:48.252491+00:00", now=now) == expected
    assert when(datetime(2026, 11, 30, 13, 2, 48), now=now) == expected
    assert when("2026-11-30T14:02:48+01:00", now=now) == expected


def test_when_shows_nothing_for_no_time_and_escapes_what_is_not_a_time() -> None:
    assert when(None) == ""
    assert when("") == ""
    assert when("<b>soon</b>", now=NOW) == "&lt;b&gt;soon&lt;/b&gt;"


def test_when_defaults_to_the_current_time() -> None:
    assert ">just now</time>" in when(datetime.now(UTC))


@pytest.mark.parametrize(
    ("number", "html"),
    [
        (
            "3c5b0f2a9e1d4c6b8a7f0e1d2c3b4a5968778695",
            '<code class="sha" title="3c5b0f2a9e1d4c6b8a7f0e1d2c3b4a5968778695" '
            'data-full="3c5b0f2a9e1d4c6b8a7f0e1d2c3b4a5968778695">3c5b0f2a</code>',
        ),
        (
            "ABCDEF012345",
            '<code class="sha" title="ABCDEF012345" data-full="ABCDEF012345">ABCDEF01</code>',
        ),
        ("abcdef01234", "abcdef01234"),  # 11 hex characters: not a SHA
        ("202611301302", "202611301302"),  # digits only: a build number, not a SHA
        ("1.2.3", "1.2.3"),
        ("3c5b0f2a9e1d4c6b-dirty", "3c5b0f2a9e1d4c6b-dirty"),
        (  # what `invoke ci` publishes from a working tree with uncommitted changes
            "3c5b0f2a9e1d4c6b8a7f0e1d2c3b4a5968778695+dirty.0123456789ab",
            '<code class="sha" title="3c5b0f2a9e1d4c6b8a7f0e1d2c3b4a5968778695+dirty.0123456789ab" '
            'data-full="3c5b0f2a9e1d4c6b8a7f0e1d2c3b4a5968778695+dirty.0123456789ab">'
            "3c5b0f2a+dirty.0123456789ab</code>",
        ),
        ("202611301302+build.7", "202611301302+build.7"),  # a build number with metadata
        ("3c5b0f2a9e1d4c6b+", "3c5b0f2a9e1d4c6b+"),
        ("3c5b0f2a9e1d4c6b+a<b", "3c5b0f2a9e1d4c6b+a&lt;b"),
        ("<script>\"&'", "&lt;script&gt;&#34;&amp;&#39;"),
        (None, ""),
    ],
)
def test_sha_shortens_git_shas_only(number: str | None, html: str) -> None:
    assert sha(number) == html


@pytest.mark.parametrize(
    ("display", "name", "title"),
    [
        ("Production", "production", "Production"),
        ("Prod EU", "prod-eu", "Prod EU"),
        ("Staging", "test", "Staging (test)"),
        (None, "test", "test"),
        ("", "test", "test"),
        ("Test", None, "Test"),
    ],
)
def test_env_title_drops_repeats(display: str | None, name: str | None, title: str) -> None:
    assert env_title(display, name) == title
    assert env_title({"display_name": display, "name": name}) == title
    if name is not None:
        assert env_title(SimpleNamespace(display_name=display, name=name)) == title


def test_filters_are_registered_and_escape_in_templates() -> None:
    environment = Environment(autoescape=True)
    register(environment)
    template = environment.from_string("{{ v | sha }} {{ t | when }} {{ e | env_title }}")
    html = template.render(
        v="<b>1</b>",
        t=datetime.now(UTC) - timedelta(hours=2),
        e={"display_name": "<i>Prod</i>", "name": "production"},
    )
    assert html.startswith("&lt;b&gt;1&lt;/b&gt; <time datetime=")
    assert ">2 hours ago</time> &lt;i&gt;Prod&lt;/i&gt; (production)" in html
