"""``python -m user_service_contract.worker``: one verification worker (see ``replay``)."""

from __future__ import annotations

import sys

from user_service_contract.replay import main

if __name__ == "__main__":
    sys.exit(main())
