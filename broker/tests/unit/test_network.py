"""The index page's network picture: Graphviz's SVG, rebuilt from an allow-list, capped."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from contract_broker.ui import network
from contract_broker.ui.network import MAX_APPLICATIONS, Link, picture, sanitized, status_of

BASE = "http://broker.test"
EVIL = "<script>alert(1)</script>\"&'"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


def link(consumer: str, provider: str, status: str = "passed") -> Link:
    return Link(
        consumer=consumer,
        provider=provider,
        status=status,
        url=f"{BASE}/pacts/provider/{provider}/consumer/{consumer}/latest",
        consumer_url=f"{BASE}/pacticipants/{consumer}",
        provider_url=f"{BASE}/pacticipants/{provider}",
    )


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
    network._svg.cache_clear()

    drawn = picture([link("a", "b")], base=BASE)

    assert drawn.svg is None
    assert drawn.links == [link("a", "b")]
    network._svg.cache_clear()


def test_a_failing_dot_gives_no_picture(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network.shutil, "which", lambda _: "/bin/false")
    network._svg.cache_clear()

    assert picture([link("a", "b")], base=BASE).svg is None
    network._svg.cache_clear()


def test_no_integrations_no_picture() -> None:
    drawn = picture([], base=BASE)
    assert (drawn.svg, drawn.links, drawn.left_out) == (None, [], 0)


@needs_dot
def test_at_most_max_applications_are_drawn_and_the_rest_counted() -> None:
    links = [link(f"consumer-{i}", f"provider-{i % 10}") for i in range(MAX_APPLICATIONS + 40)]

    drawn = picture(links, base=BASE)

    names = {n for x in drawn.links for n in (x.consumer, x.provider)}
    assert len(names) == MAX_APPLICATIONS
    assert drawn.left_out == len(links) + 10 - MAX_APPLICATIONS
    root = parsed(str(drawn.svg))
    assert len([g for g in root.iter("g") if g.get("class") == "node app"]) == MAX_APPLICATIONS


@needs_dot
def test_the_same_network_is_drawn_once(monkeypatch: pytest.MonkeyPatch) -> None:
    network._svg.cache_clear()
    calls: list[object] = []
    run = network.subprocess.run

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return run(*args, **kwargs)

    monkeypatch.setattr(network.subprocess, "run", counted)
    links = [link("x", "y"), link("z", "y", "failed")]

    first = picture(links, base=BASE)
    again = picture(list(links), base=BASE)
    other = picture([*links, link("w", "y")], base=BASE)

    assert again.svg == first.svg
    assert other.svg != first.svg
    assert len(calls) == 2
