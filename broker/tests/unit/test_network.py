"""The index page's network picture: Graphviz's SVG, rebuilt from an allow-list, capped."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import pytest

from contract_broker.ui import network
from contract_broker.ui.network import (
    MAX_APPLICATIONS,
    Drawings,
    Link,
    picture,
    sanitized,
    status_of,
)

BASE = "http://broker.test"
EVIL = "<script>alert(1)</script>\"&'"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


@pytest.fixture(autouse=True)
def nothing_drawn_yet() -> Iterator[None]:
    network.forget()
    yield
    network.forget()


def link(consumer: str, provider: str, status: str = "passed", base: str = BASE) -> Link:
    consumer_path, provider_path = quote(consumer, safe=""), quote(provider, safe="")
    return Link(
        consumer=consumer,
        provider=provider,
        status=status,
        url=f"{base}/pacts/provider/{provider_path}/consumer/{consumer_path}/latest",
        consumer_url=f"{base}/pacticipants/{consumer_path}",
        provider_url=f"{base}/pacticipants/{provider_path}",
    )


def counted_runs(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each dot run from now on, in a list."""
    calls: list[object] = []
    run = network.subprocess.run

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return run(*args, **kwargs)

    monkeypatch.setattr(network.subprocess, "run", counted)
    return calls


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)


@pytest.mark.parametrize(
    ("success", "status"), [(True, "passed"), (False, "failed"), (None, "unverified")]
)
def test_status_of_the_latest_verification(success: bool | None, status: str) -> None:
    assert status_of(success) == status


@needs_dot
def test_names_are_text_in_the_picture_never_markup() -> None:
    drawn = picture([link(EVIL, "user\\N\\l", "failed")], base=BASE)

    assert drawn.svg is not None
    root = parsed(str(drawn.svg))
    assert {e.tag for e in root.iter()} <= network.ELEMENTS - {"script"}
    texts = [e.text for e in root.iter("text")]
    assert texts == [EVIL, "user\\N\\l"]  # as given: quoted for dot, escaped in the SVG
    assert "<script>" not in str(drawn.svg)
    assert "&lt;script&gt;" in str(drawn.svg)
    titles = [e.text for e in root.iter("title")]
    assert titles == [EVIL, "user\\N\\l", f"{EVIL} → user\\N\\l: failed"]
    assert not any("style" in e.attrib or "id" in e.attrib for e in root.iter())


@needs_dot
def test_edges_are_coloured_by_status_and_link_to_the_pact() -> None:
    drawn = picture(
        [link("a", "b", "passed"), link("c", "b", "failed"), link("d", "b", "unverified")],
        base=BASE,
    )

    root = parsed(str(drawn.svg))
    edges = [g for g in root.iter("g") if "edge" in g.get("class", "").split()]
    assert [g.get("class") for g in edges] == ["edge passed", "edge failed", "edge unverified"]
    strokes = [next(g.iter("path")).get("stroke") for g in edges]
    assert strokes == [network.COLOURS[s] for s in ("passed", "failed", "unverified")]
    hrefs = [a.get("href") for a in root.iter("a")]
    assert f"{BASE}/pacticipants/a" in hrefs
    assert f"{BASE}/pacts/provider/b/consumer/c/latest" in hrefs
    assert drawn.left_out == 0


def test_the_sanitizer_keeps_shapes_and_text_and_drops_everything_else() -> None:
    hostile = (
        '<?xml version="1.0"?><!DOCTYPE svg><!-- c -->'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="10pt" onload="alert(1)" style="color:red">'
        "<script>alert(1)</script><foreignObject><p>x</p></foreignObject>"
        '<g class="node" id="n1"><title>app0</title>'
        '<a xlink:href="app1" xlink:title="t"><text x="1" onclick="x">n</text></a>'
        f'<a xlink:href="{BASE}/pacticipants/n"><path d="M0,0"/></a>'
        '<a xlink:href="app0"><image href="http://elsewhere.test/i.png"/></a>'
        "<title>not an id</title></g></svg>"
    )

    clean = sanitized(
        hostile,
        base=BASE,
        titles={"app0": "the <app>"},
        targets={"app0": f"{BASE}/pacticipants/n", "app1": "javascript:alert(1)"},
    )

    assert clean == (
        '<svg width="10pt" role="img" aria-label="Which application has a pact with which">'
        '<g class="node"><title>the &lt;app&gt;</title>'
        '<a><text x="1">n</text></a><a><path d="M0,0" /></a>'
        f'<a href="{BASE}/pacticipants/n" /></g></svg>'
    )


def test_without_dot_the_page_gets_no_picture_and_the_links_to_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(network.shutil, "which", lambda _: None)

    drawn = picture([link("a", "b")], base=BASE)

    assert drawn.svg is None
    assert drawn.links == [link("a", "b")]


def test_a_failing_dot_gives_no_picture(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network.shutil, "which", lambda _: "/bin/false")

    assert picture([link("a", "b")], base=BASE).svg is None


def test_no_integrations_no_picture() -> None:
    drawn = picture([], base=BASE)
    assert (drawn.svg, drawn.links, drawn.left_out, drawn.links_left_out) == (None, [], 0, 0)


@needs_dot
def test_at_most_max_applications_are_drawn_and_the_rest_counted() -> None:
    links = [link(f"consumer-{i}", f"provider-{i % 10}") for i in range(MAX_APPLICATIONS + 40)]

    drawn = picture(links, base=BASE)

    names = {n for x in drawn.links for n in (x.consumer, x.provider)}
    assert len(names) == MAX_APPLICATIONS
    assert drawn.left_out == len(links) + 10 - MAX_APPLICATIONS
    assert drawn.links_left_out == len(links) - len(drawn.links) == 50
    root = parsed(str(drawn.svg))
    assert len([g for g in root.iter("g") if g.get("class") == "node app"]) == MAX_APPLICATIONS


@needs_dot
def test_the_same_network_is_drawn_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counted_runs(monkeypatch)
    links = [link("x", "y"), link("z", "y", "failed")]

    first = picture(links, base=BASE)
    again = picture(list(links), base=BASE)
    other = picture([*links, link("w", "y")], base=BASE)
    restatused = picture([link("x", "y"), link("z", "y")], base=BASE)

    assert again.svg == first.svg
    assert other.svg != first.svg
    assert restatused.svg != first.svg
    assert len(calls) == 3


@needs_dot
def test_past_max_links_the_rest_are_counted_not_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network, "MAX_LINKS", 30)
    links = [link(f"consumer-{i}", f"provider-{i % 7}") for i in range(45)]

    drawn = picture(links, base=BASE)

    assert drawn.links == links[:30]
    assert (drawn.links_left_out, drawn.left_out) == (15, 15)
    root = parsed(str(drawn.svg))
    assert len([g for g in root.iter("g") if (g.get("class") or "").startswith("edge")]) == 30


@needs_dot
def test_the_same_network_under_another_host_is_drawn_once_with_its_own_links(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = counted_runs(monkeypatch)
    other = "http://other.test:8080"

    first = picture([link("x", "y")], base=BASE)
    second = picture([link("x", "y", base=other)], base=other)

    assert len(calls) == 1
    hrefs = [a.get("href") for a in parsed(str(second.svg)).iter("a")]
    assert hrefs == [
        f"{other}/pacticipants/x",
        f"{other}/pacticipants/y",
        f"{other}/pacts/provider/y/consumer/x/latest",
    ]
    assert str(first.svg).replace(BASE, other) == str(second.svg)


def test_concurrent_requests_for_one_network_wait_for_a_single_dot_run() -> None:
    drawings = Drawings()
    runs: list[int] = []
    started = threading.Event()

    def slow() -> str:
        runs.append(1)
        started.set()
        time.sleep(0.3)
        return "<svg/>"

    answers: list[str | None] = []
    first = threading.Thread(target=lambda: answers.append(drawings.svg((), slow)))
    first.start()
    started.wait(5)
    others = [
        threading.Thread(target=lambda: answers.append(drawings.svg((), slow))) for _ in range(8)
    ]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(10)

    assert runs == [1]
    assert answers == ["<svg/>"] * 9


def on_a_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run it on an event loop of its own, in another thread (Playwright's may be running)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def test_settled_waits_on_the_loop_for_the_run_under_way() -> None:
    drawings = Drawings()
    started = threading.Event()

    def slow() -> str:
        started.set()
        time.sleep(0.3)
        return "<svg/>"

    on_a_loop(drawings.settled(()))  # nothing under way: returns at once
    first = threading.Thread(target=lambda: drawings.svg((), slow))
    first.start()
    started.wait(5)
    began = time.perf_counter()
    on_a_loop(drawings.settled(()))
    waited = time.perf_counter() - began
    first.join(5)

    assert 0.1 < waited < 2
    assert drawings.svg((), lambda: None) == "<svg/>"  # the run's drawing, kept


def test_a_failed_drawing_is_tried_again_only_after_a_while() -> None:
    now = [1000.0]
    drawings = Drawings(clock=lambda: now[0])
    runs: list[int] = []

    def failing() -> None:
        runs.append(1)

    assert drawings.svg((), failing) is None
    now[0] += network.RETRY_SECONDS - 1
    assert drawings.svg((), failing) is None
    assert runs == [1]
    now[0] += 2
    assert drawings.svg((), lambda: "<svg/>") == "<svg/>"
    now[0] += network.RETRY_SECONDS * 10
    assert drawings.svg((), failing) == "<svg/>"  # a drawing that worked is kept
    assert runs == [1]


def test_dot_that_vanished_gives_no_picture(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network.shutil, "which", lambda _: "/nonexistent/dot")

    assert picture([link("a", "b")], base=BASE).svg is None


def test_dot_that_takes_too_long_gives_no_picture(monkeypatch: pytest.MonkeyPatch) -> None:
    def too_slow(*args: Any, **kwargs: Any) -> Any:
        assert kwargs["timeout"] == network.DOT_TIMEOUT_SECONDS <= 2
        raise subprocess.TimeoutExpired("dot", kwargs["timeout"])

    monkeypatch.setattr(network.shutil, "which", lambda _: "/usr/bin/dot")
    monkeypatch.setattr(network.subprocess, "run", too_slow)

    assert picture([link("a", "b")], base=BASE).svg is None


@needs_dot
@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("x&#x1;", "x&#x1;"),  # an entity Graphviz would decode to a control character
        ("&lt;script&gt;", "&lt;script&gt;"),  # would be drawn as <script>
        ("a &amp; b", "a &amp; b"),
        ("<b>x</b>", "<b>x</b>"),  # <...> would be an HTML label
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("<a\\N>", "<a\\N>"),
        ("bell\x07 and\ttab", "bell\ufffd and\ufffdtab"),  # XML cannot hold them
        ("c1\x85", "c1\ufffd"),
    ],
)
def test_a_name_graphviz_would_misread_is_drawn_as_it_is(name: str, shown: str) -> None:
    drawn = picture([link(name, "provider")], base=BASE)

    assert drawn.svg is not None
    root = parsed(str(drawn.svg))
    assert [e.text for e in root.iter("text")] == [shown, "provider"]
    titles = [e.text for e in root.iter("title")]
    assert titles == [shown, "provider", f"{shown} → provider: passed"]


@needs_dot
def test_a_name_with_a_line_break_is_one_line() -> None:
    drawn = picture([link("two\nlines\r", "provider")], base=BASE)

    assert [e.text for e in parsed(str(drawn.svg)).iter("text")] == [
        "two\ufffdlines\ufffd",
        "provider",
    ]


@needs_dot
def test_a_network_drawn_is_rebuilt_once_for_each_base(monkeypatch: pytest.MonkeyPatch) -> None:
    links = [link("x", "y"), link("z", "y", "failed")]
    first = picture(links, base=BASE)
    rebuilt: list[str] = []
    rebuild = network.sanitized

    def counted(svg: str, **kwargs: Any) -> str:
        rebuilt.append(kwargs["base"])
        return rebuild(svg, **kwargs)

    monkeypatch.setattr(network, "sanitized", counted)
    other = "http://other.test"

    assert picture(list(links), base=BASE).svg == first.svg
    assert rebuilt == []
    picture([link("x", "y", base=other), link("z", "y", "failed", base=other)], base=other)
    assert rebuilt == [other]
