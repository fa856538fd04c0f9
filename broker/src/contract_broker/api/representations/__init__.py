"""HAL representations: pure functions of a service's view and ``Urls``, one module per resource.

Shapes, titles and deprecated relations follow the Pact Broker's decorators
(``lib/pact_broker/api/decorators/*_decorator.rb``); nothing here reads the database.
"""

from __future__ import annotations

from contract_broker.api.representations.environment import (
    deployed_version_json,
    environment_json,
    released_version_json,
)
from contract_broker.api.representations.pacticipant import (
    label_json,
    label_names_json,
    pacticipant_collection_json,
    pacticipant_json,
    pacticipant_view_json,
)
from contract_broker.api.representations.version import (
    branch_version_json,
    tag_json,
    version_json,
)

__all__ = [
    "branch_version_json",
    "deployed_version_json",
    "environment_json",
    "label_json",
    "label_names_json",
    "pacticipant_collection_json",
    "pacticipant_json",
    "pacticipant_view_json",
    "released_version_json",
    "tag_json",
    "version_json",
]
