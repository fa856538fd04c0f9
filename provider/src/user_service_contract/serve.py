"""``python -m user_service_contract.serve``: the provider plus its provider-state endpoint.

For verifying a running provider (``provider-verify --provider-url ... --state-change-url ...``),
e.g. a test deployment; ``--variant`` serves a breaking variant instead.
"""

from __future__ import annotations

import argparse

import uvicorn

from user_service_contract.server import HOST
from user_service_contract.state_endpoint import STATE_CHANGE_PATH, app_with_states
from user_service_contract.variants import Variant


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m user_service_contract.serve", description=__doc__
    )
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--variant", choices=[v.value for v in Variant])
    args = parser.parse_args(argv)
    print(f"state changes: http://{args.host}:{args.port}{STATE_CHANGE_PATH}", flush=True)
    app, _ = app_with_states(Variant(args.variant) if args.variant else None)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
