"""The network picture on the index page: which application talks to which, as inline SVG.

Graphviz lays it out (the `dot` program, driven through the `graphviz` binding, which quotes
every name in the DOT source). Its SVG is then rebuilt element by element from an allow-list, so
what reaches the page holds only shapes, text, and links into this broker: no script, no style
attribute (the pages' CSP forbids inline styles), no reference to anything elsewhere.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import graphviz  # type: ignore[import-untyped]  # the binding ships no type hints
from markupsafe import Markup

__all__ = ["MAX_APPLICATIONS", "Link", "Picture", "picture", "status_of"]

log = logging.getLogger(__name__)

# Past this many applications the picture would be unreadable and slow to lay out.
MAX_APPLICATIONS = 200
DOT_TIMEOUT_SECONDS = 20

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
    """The SVG (None when Graphviz is not installed or failed), what it draws, what it left out."""

    svg: Markup | None
    links: list[Link]
    left_out: int


def picture(links: Sequence[Link], *, base: str) -> Picture:
    """Draws up to MAX_APPLICATIONS applications; links go only to URLs under ``base``."""
    drawn: list[Link] = []
    names: set[str] = set()
    everyone: set[str] = set()
    for link in links:
        ends = {link.consumer, link.provider}
        everyone |= ends
        if len(names | ends) <= MAX_APPLICATIONS:
            names |= ends
            drawn.append(link)
    svg = _svg(tuple(drawn), base) if drawn else None
    shown = Markup(svg) if svg is not None else None  # noqa: S704 - rebuilt from an allow-list
    return Picture(shown, drawn, len(everyone - names))


def _source(links: tuple[Link, ...]) -> tuple[str, dict[str, str], dict[str, str]]:
    """The DOT source; the hover text and the link of each node and edge, by its id there.

    Graphviz escapes labels in its SVG but copies URLs as they are, so it is given ids only:
    the sanitizer puts the real links (and hover texts) back.
    """
    graph = graphviz.Digraph(
        graph_attr={"rankdir": "LR", "bgcolor": "transparent", "nodesep": "0.3"},
        node_attr={"shape": "box", "style": "rounded", "fontname": "sans-serif"},
        edge_attr={"penwidth": "1.6"},
    )
    ids: dict[str, str] = {}
    titles: dict[str, str] = {}
    targets: dict[str, str] = {}
    for link in links:
        for name, url in ((link.consumer, link.consumer_url), (link.provider, link.provider_url)):
            if name not in ids:
                ids[name] = f"app{len(ids)}"
                titles[ids[name]] = name
                targets[ids[name]] = url
                # Ids are ours; a name is only a label, its backslashes escaped so that Graphviz
                # prints it as it is (`\N`, `\l` are label escapes otherwise).
                graph.node(
                    ids[name], label=graphviz.escape(name), URL=ids[name], **{"class": "app"}
                )
    for link in links:
        consumer, provider = ids[link.consumer], ids[link.provider]
        edge = f"{consumer}->{provider}"
        titles[edge] = f"{link.consumer} → {link.provider}: {link.status}"
        targets[edge] = link.url
        graph.edge(
            consumer,
            provider,
            color=COLOURS[link.status],
            style="dashed" if link.status == "unverified" else "solid",
            URL=edge,
            **{"class": link.status},
        )
    return graph.source, titles, targets


@lru_cache(maxsize=16)
def _svg(links: tuple[Link, ...], base: str) -> str | None:
    """The sanitized SVG for these links, cached: the same network is drawn once."""
    dot = shutil.which("dot")
    if dot is None:
        log.warning("Graphviz's dot is not installed: the index lists integrations, no picture")
        return None
    source, titles, targets = _source(links)
    try:  # run here rather than by graphviz.pipe, which has no timeout
        drawn = subprocess.run(  # noqa: S603 - names reach dot only as quoted DOT on stdin
            [dot, "-Tsvg"],
            input=source.encode(),
            capture_output=True,
            timeout=DOT_TIMEOUT_SECONDS,
            check=True,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        log.warning("Graphviz could not draw the network: %s", error)
        return None
    try:
        return sanitized(drawn.stdout.decode(), base=base, titles=titles, targets=targets)
    except ET.ParseError as error:  # never a 500 for a picture: the page lists instead
        log.warning("Graphviz's SVG could not be read: %s", error)
        return None


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
