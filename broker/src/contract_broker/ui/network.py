"""The network picture on the index page: which application talks to which, as inline SVG.

Graphviz lays it out (the `dot` program, driven through the `graphviz` binding, which quotes
every name in the DOT source). Its SVG is then rebuilt element by element from an allow-list, so
what reaches the page holds only shapes, text, and links into this broker: no script, no style
attribute (the pages' CSP forbids inline styles), no reference to anything elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from contract_broker import warm_up

__all__ = [
    "MAX_APPLICATIONS",
    "MAX_LINKS",
    "Link",
    "Picture",
    "drawn_picture",
    "forget",
    "picture",
    "status_of",
]

log = logging.getLogger(__name__)

# Past these the picture would be unreadable, and dot's layout time grows much faster than the
# links: 200 applications with 300 links take it well under a second, with 450 a few seconds.
MAX_APPLICATIONS = 200
MAX_LINKS = 300
# A request waits this long for a picture at most (then the page lists the network instead).
DOT_TIMEOUT_SECONDS = 2.0
# A network dot could not draw is tried again after this long, not on every page load.
RETRY_SECONDS = 60.0
# Networks whose drawing is kept (each is one network's SVG, a few hundred kB at most).
KEPT = 16

# The edge colours by the latest verification's outcome (as in style.css: --ok, --bad, --muted).
COLOURS = {"passed": "#1a7f37", "failed": "#cf222e", "unverified": "#59636e"}

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
ELEMENTS = {"svg", "g", "title", "path", "polygon", "polyline", "ellipse", "text", "a"}
ATTRIBUTES = {
    "width",
    "height",
    "viewBox",
    "class",
    "transform",
    "fill",
    "stroke",
    "stroke-width",
    "stroke-dasharray",
    "d",
    "points",
    "cx",
    "cy",
    "rx",
    "ry",
    "x",
    "y",
    "text-anchor",
    "font-family",
    "font-size",
}

# Control characters: most cannot be in XML (Graphviz copies them into SVG that then does not
# parse), the rest (tab, line breaks, C1) mean nothing in a name: each is drawn as U+FFFD.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def status_of(success: bool | None) -> str:
    """The latest verification's success (None: never verified) as a picture status."""
    if success is None:
        return "unverified"
    return "passed" if success else "failed"


@dataclass(frozen=True)
class Link:
    """A consumer that has a pact with a provider, and how its latest verification went."""

    consumer: str
    provider: str
    status: str  # "passed", "failed" or "unverified" (a key of COLOURS)
    url: str  # the pact's page
    consumer_url: str
    provider_url: str


@dataclass(frozen=True)
class Picture:
    """The SVG (None when Graphviz is not installed or failed), what it draws, what it left out:
    ``left_out`` applications and ``links_left_out`` links."""

    svg: Markup | None
    links: list[Link]
    left_out: int
    links_left_out: int = 0


# What dot is given of a network: each drawn link's consumer, provider and status, in order.
# No URL: the same network is drawn once whatever the host it is asked under.
Network = tuple[tuple[str, str, str], ...]


def picture(links: Sequence[Link], *, base: str) -> Picture:
    """Draws up to MAX_APPLICATIONS applications and MAX_LINKS links; links go only to URLs
    under ``base``. Runs dot (at most DOT_TIMEOUT_SECONDS): call it outside any transaction."""
    drawn, left_out = _chosen(links)
    svg = _svg(drawn, base) if drawn else None
    shown = Markup(svg) if svg is not None else None  # noqa: S704 - rebuilt from an allow-list
    return Picture(shown, drawn, left_out, len(links) - len(drawn))


def _chosen(links: Sequence[Link]) -> tuple[list[Link], int]:
    """The links drawn (within the caps) and how many applications are left out."""
    drawn: list[Link] = []
    names: set[str] = set()
    everyone: set[str] = set()
    for link in links:
        ends = {link.consumer, link.provider}
        everyone |= ends
        if len(drawn) < MAX_LINKS and len(names | ends) <= MAX_APPLICATIONS:
            names |= ends
            drawn.append(link)
    return drawn, len(everyone - names)


def _network(links: Sequence[Link]) -> Network:
    return tuple((x.consumer, x.provider, x.status) for x in links)


async def drawn_picture(links: Sequence[Link], *, base: str) -> Picture:
    """``picture`` for a request on the event loop: waits there for a run of the same network
    under way, then draws (or takes the drawing) in a worker thread."""
    await drawings.settled(_network(_chosen(links)[0]))
    return await run_in_threadpool(picture, links, base=base)


def _label(name: str) -> str:
    """A name as Graphviz prints it as it is: `&` escaped (Graphviz decodes entities: `&lt;`
    would print `<`), control characters replaced (Graphviz would copy them into SVG that does
    not parse), then graphviz.escape: backslashes escaped (`\\N`, `\\l` are label escapes) and
    the result marked as no HTML label (`<b>x</b>` would be one). Last: its mark is lost on
    any further string operation."""
    import graphviz  # type: ignore[import-untyped]  # the binding ships no type hints

    return graphviz.escape(CONTROL.sub("\ufffd", name.replace("&", "&amp;")))  # type: ignore[no-any-return]


def _shown(text: str) -> str:
    return CONTROL.sub("\ufffd", text)


def _ids(network: Network) -> dict[str, str]:
    """Each application's id in the DOT source, in order of appearance."""
    ids: dict[str, str] = {}
    for consumer, provider, _ in network:
        for name in (consumer, provider):
            ids.setdefault(name, f"app{len(ids)}")
    return ids


def _source(network: Network) -> str:
    """The DOT source: nodes and edges by id, names only as labels.

    Graphviz escapes labels in its SVG but copies URLs as they are, so it is given ids only:
    the sanitizer puts the real links (and hover texts) back.
    """
    # Imported here, not at the top, as only the index draws: see contract_broker.warm_up.
    warm_up.wait()
    import graphviz

    graph = graphviz.Digraph(
        graph_attr={"rankdir": "LR", "bgcolor": "transparent", "nodesep": "0.3"},
        node_attr={"shape": "box", "style": "rounded", "fontname": "sans-serif"},
        edge_attr={"penwidth": "1.6"},
    )
    ids = _ids(network)
    for name, node in ids.items():
        graph.node(node, label=_label(name), URL=node, **{"class": "app"})
    for consumer, provider, status in network:
        edge = f"{ids[consumer]}->{ids[provider]}"
        graph.edge(
            ids[consumer],
            ids[provider],
            color=COLOURS[status],
            style="dashed" if status == "unverified" else "solid",
            URL=edge,
            **{"class": status},
        )
    return str(graph.source)


def _svg(links: Sequence[Link], base: str) -> str | None:
    """The sanitized SVG of these links: dot's drawing of their network (names and statuses),
    with this request's hover texts and URLs put in."""
    network = _network(links)
    drawn = drawings.svg(network, lambda: _draw(network))
    if drawn is None:
        return None
    return _with_links(tuple(links), base, drawn)


@lru_cache(maxsize=KEPT)
def _with_links(links: tuple[Link, ...], base: str, drawn: str) -> str:
    """dot's drawing of these links, sanitized, with their hover texts and URLs: kept, as
    reading and rebuilding the SVG of 300 links takes some 25 ms."""
    network = _network(links)
    ids = _ids(network)
    titles = {node: _shown(name) for name, node in ids.items()}
    targets: dict[str, str] = {}
    for link in links:
        targets[ids[link.consumer]] = link.consumer_url
        targets[ids[link.provider]] = link.provider_url
        edge = f"{ids[link.consumer]}->{ids[link.provider]}"
        titles[edge] = _shown(f"{link.consumer} → {link.provider}: {link.status}")
        targets[edge] = link.url
    return sanitized(drawn, base=base, titles=titles, targets=targets)


def _draw(network: Network) -> str | None:
    """dot's SVG of this network (ids for titles and links), None when it cannot draw it."""
    dot = shutil.which("dot")
    if dot is None:
        log.warning("Graphviz's dot is not installed: the index lists integrations, no picture")
        return None
    try:  # run here rather than by graphviz.pipe, which has no timeout
        drawn = subprocess.run(  # noqa: S603 - names reach dot only as quoted DOT on stdin
            [dot, "-Tsvg"],
            input=_source(network).encode(),
            capture_output=True,
            timeout=DOT_TIMEOUT_SECONDS,
            check=True,
        )
        svg = drawn.stdout.decode()
        sanitized(svg, base="", titles={}, targets={})  # never a 500 for a picture: it parses
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError, ET.ParseError) as error:
        log.warning("Graphviz could not draw the network: %s", error)
        return None
    return svg


class Drawings:
    """dot's SVG of each network drawn lately; one dot run per network at a time.

    A request that finds its network being drawn waits for that run (at most
    DOT_TIMEOUT_SECONDS more) instead of starting another: ``settled`` waits on the event
    loop, without a thread. A network dot could not draw is drawn again once RETRY_SECONDS
    have passed.
    """

    def __init__(self, kept: int = KEPT, clock: Callable[[], float] = time.monotonic) -> None:
        self._kept = kept
        self._clock = clock
        self._lock = threading.Lock()
        self._done: OrderedDict[Network, tuple[str | None, float]] = OrderedDict()
        self._running: dict[Network, Future[None]] = {}

    def svg(self, network: Network, draw: Callable[[], str | None]) -> str | None:
        """This network's drawing: kept, or drawn now by ``draw``, or by the run under way."""
        with self._lock:
            done = self._done.get(network)
            if done is not None and (done[0] is not None or self._clock() < done[1]):
                self._done.move_to_end(network)
                return done[0]
            running = self._running.get(network)
            if running is None:
                self._running[network] = Future()
        if running is not None:
            with suppress(TimeoutError):
                running.result(DOT_TIMEOUT_SECONDS + 1)
            with self._lock:
                done = self._done.get(network)
            return done[0] if done is not None else None
        svg = None
        try:
            svg = draw()
        finally:
            with self._lock:
                self._done[network] = (svg, self._clock() + RETRY_SECONDS)
                self._done.move_to_end(network)
                while len(self._done) > self._kept:
                    self._done.popitem(last=False)
                self._running.pop(network).set_result(None)
        return svg

    async def settled(self, network: Network) -> None:
        """Returns once no run of this network is under way (or DOT_TIMEOUT_SECONDS + 1 have
        passed), waiting on the event loop: a request waiting for a drawing holds no thread."""
        with self._lock:
            running = self._running.get(network)
        if running is not None:  # asyncio.wait, unlike wait_for, cancels nothing on timeout
            await asyncio.wait([asyncio.wrap_future(running)], timeout=DOT_TIMEOUT_SECONDS + 1)

    def clear(self) -> None:
        with self._lock:
            self._done.clear()


drawings = Drawings()


def forget() -> None:
    """Forget every drawing (tests; a new Graphviz)."""
    drawings.clear()
    _with_links.cache_clear()


def sanitized(svg: str, *, base: str, titles: dict[str, str], targets: dict[str, str]) -> str:
    """The SVG rebuilt from allowed elements and attributes only.

    Graphviz writes ids where the page wants names and links: each <title> that is an id in
    ``titles`` gets its text there (any other is dropped), each link whose href is an id in
    ``targets`` gets that URL if it is under ``base`` (any other loses its href).
    """
    start = svg.find("<svg")  # after the XML declaration, DOCTYPE and comments
    # Without its DOCTYPE the text can declare no entity: nothing for an XML bomb to expand.
    clean = _copy(ET.fromstring(svg[start:]), base, titles, targets)  # noqa: S314
    if clean is None:  # not an SVG at all
        return ""
    clean.set("role", "img")
    clean.set("aria-label", "Which application has a pact with which")
    return ET.tostring(clean, encoding="unicode", short_empty_elements=True)


def _copy(
    element: ET.Element, base: str, titles: dict[str, str], targets: dict[str, str]
) -> ET.Element | None:
    if not isinstance(element.tag, str) or not element.tag.startswith(SVG):
        return None
    tag = element.tag.removeprefix(SVG)
    if tag not in ELEMENTS:
        return None
    copy = ET.Element(tag, {k: v for k, v in element.attrib.items() if k in ATTRIBUTES})
    if tag == "title":
        if (element.text or "") not in titles:
            return None
        copy.text = titles[element.text or ""]
    elif tag == "text":
        copy.text = element.text
    elif tag == "a":  # Graphviz writes xlink:href, SVG 2 and browsers read href
        href = targets.get(element.get(f"{XLINK}href", ""), "")
        if href.startswith(base + "/"):
            copy.set("href", href)
    for child in element:
        copied = _copy(child, base, titles, targets)
        if copied is not None:
            copy.append(copied)
    return copy
