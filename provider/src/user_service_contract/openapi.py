"""user-service's OpenAPI document, exported for publishing as its provider contract.

``python -m user_service_contract.openapi --out FILE [--variant username]`` writes the document
FastAPI generates for the app as JSON with sorted keys: the same code always gives the same bytes
(no timestamps; ``info.version`` is the app's, not the build's), so a provider version's contract
only changes when the API does. ``--variant`` exports a breaking variant's document instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from user_service import create_app
from user_service_contract.variants import Variant, breaking_document

__all__ = ["CONTENT_TYPE", "document", "main", "render"]

CONTENT_TYPE = "application/json"
"""The media type ``render`` writes (what ``publish-provider-contract --content-type`` says)."""


def document(variant: Variant | None = None) -> dict[str, Any]:
    """The app's OpenAPI document, or ``variant``'s (the same change as the variant's app)."""
    generated = create_app().openapi()
    return breaking_document(generated, variant) if variant is not None else generated


def render(doc: dict[str, Any]) -> str:
    """``doc`` as JSON: sorted keys, two-space indents, a final newline."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the document to ``--out``; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m user_service_contract.openapi", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, required=True, help="the file to write (JSON)")
    parser.add_argument(
        "--variant",
        choices=[v.value for v in Variant],
        help="export a breaking variant's document instead (a demonstration)",
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        render(document(Variant(args.variant) if args.variant else None)), encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
