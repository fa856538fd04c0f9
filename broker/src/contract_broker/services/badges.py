"""Status badges as SVG, drawn by the broker itself (no redirect to an external service).

Texts and colours follow the Pact Broker: a pact badge says verified (bright green), failed
(red), changed (orange) or unknown (light grey); a can-i-deploy badge says "{branch} to {env}"
in bright green when deployable and red when not; a missing resource is light grey.
"""

from __future__ import annotations

import anybadge  # type: ignore[import-untyped]

__all__ = ["COLOURS", "can_i_deploy_badge", "not_found_badge", "pact_badge", "svg"]

COLOURS = {
    "brightgreen": "#4c1",
    "red": "#e05d44",
    "orange": "#fe7d37",
    "lightgrey": "#9f9f9f",
}
PACT_COLOURS = {
    "verified": "brightgreen",
    "failed": "red",
    "changed": "orange",
    "unknown": "lightgrey",
}


def svg(label: str, value: str, colour: str) -> str:
    """A flat badge; text is escaped by the badge library."""
    return str(
        anybadge.Badge(
            label, value, default_color=COLOURS[colour], escape_label=True, escape_value=True
        ).badge_svg_text
    )


def _initials(name: str) -> str:
    parts = [p for p in name.replace("_", "-").replace(" ", "-").split("-") if p]
    return "".join(p[0] for p in parts).lower() if len(parts) > 1 else name.lower()


def pact_badge(
    consumer: str, provider: str, status: str, *, label: str | None = None, initials: bool = False
) -> str:
    """``{consumer}/{provider} pact | status`` (``?label=consumer|provider`` for one name)."""
    if initials:
        consumer, provider = _initials(consumer), _initials(provider)
    if label == "consumer":
        left = consumer
    elif label == "provider":
        left = provider
    elif label:
        left = label
    else:
        left = f"{consumer}/{provider} pact".lower()
    return svg(left, status, PACT_COLOURS.get(status, "lightgrey"))


def can_i_deploy_badge(
    branch: str, environment: str, deployable: bool | None, *, label: str | None = None
) -> str:
    return svg(
        label or "can-i-deploy",
        f"{branch} to {environment}",
        "brightgreen" if deployable else "red",
    )


def not_found_badge(label: str, what: str) -> str:
    return svg(label, f"{what} not found", "lightgrey")
