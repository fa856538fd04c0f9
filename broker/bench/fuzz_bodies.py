"""Request bodies for fuzzing: the broker's OpenAPI document describes none of them."""

from __future__ import annotations

from typing import Any

__all__ = ["BODY_SCHEMAS", "WEBHOOK_HOST", "describe_bodies"]

# Webhooks may only target this reserved name (RFC 6761: it never resolves), so nothing the
# fuzzer creates or executes can make the broker call another host.
WEBHOOK_HOST = "fuzz.invalid"
WRITE_METHODS = ("post", "put", "patch")

_NAME = {"type": "string", "maxLength": 40}
_SELECTOR = {
    "type": "object",
    "properties": {
        "mainBranch": {"type": "boolean"},
        "branch": _NAME,
        "latest": {"type": "boolean"},
        "tag": _NAME,
        "fallbackTag": _NAME,
        "fallbackBranch": _NAME,
        "deployedOrReleased": {"type": "boolean"},
        "deployed": {"type": "boolean"},
        "released": {"type": "boolean"},
        "environment": _NAME,
        "consumer": _NAME,
        "matchingBranch": {"type": "boolean"},
    },
}
_PACT = {
    "type": "object",
    "properties": {
        "consumer": {"type": "object", "properties": {"name": _NAME}, "required": ["name"]},
        "provider": {"type": "object", "properties": {"name": _NAME}, "required": ["name"]},
        "interactions": {"type": "array", "maxItems": 3, "items": {"type": "object"}},
        "metadata": {"type": "object"},
    },
    "required": ["consumer", "provider"],
}
_ENVIRONMENT = {
    "type": "object",
    "properties": {
        "name": _NAME,
        "displayName": _NAME,
        "production": {"type": "boolean"},
        "contacts": {"type": "array", "maxItems": 2, "items": {"type": "object"}},
    },
    "required": ["name", "production"],
}
_PACTICIPANT = {
    "type": "object",
    "properties": {
        "name": _NAME,
        "displayName": _NAME,
        "mainBranch": _NAME,
        "repositoryUrl": {"type": "string"},
    },
}
_VERIFICATION = {
    "type": "object",
    "properties": {
        "success": {"type": "boolean"},
        "providerApplicationVersion": _NAME,
        "buildUrl": {"type": "string"},
        "testResults": {"type": "array", "maxItems": 2, "items": {"type": "object"}},
        "verifiedBy": {"type": "object"},
    },
    "required": ["success", "providerApplicationVersion"],
}
_WEBHOOK = {
    "type": "object",
    "properties": {
        "description": {"type": "string"},
        "enabled": {"type": "boolean"},
        "events": {
            "type": "array",
            "maxItems": 2,
            "items": {"type": "object", "properties": {"name": {"type": "string"}}},
        },
        "request": {
            "type": "object",
            "properties": {
                "method": {"enum": ["POST", "GET"]},
                "url": {"enum": [f"https://{WEBHOOK_HOST}/hook", "http://127.0.0.1:9/hook"]},
                "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                "body": {},
            },
            "required": ["method", "url"],
        },
        "consumer": {"type": "object", "properties": {"name": _NAME}},
        "provider": {"type": "object", "properties": {"name": _NAME}},
    },
    "required": ["events", "request"],
}
BODY_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/contracts/publish"): {
        "type": "object",
        "properties": {
            "pacticipantName": _NAME,
            "pacticipantVersionNumber": _NAME,
            "branch": _NAME,
            "tags": {"type": "array", "maxItems": 3, "items": _NAME},
            "buildUrl": {"type": "string"},
            "contracts": {
                "type": "array",
                "maxItems": 3,
                "items": {
                    "type": "object",
                    "properties": {
                        "consumerName": _NAME,
                        "providerName": _NAME,
                        "specification": {"enum": ["pact", "openapi"]},
                        "contentType": {"enum": ["application/json", "text/plain"]},
                        "content": {"type": "string", "contentEncoding": "base64"},
                        "onConflict": {"enum": ["overwrite", "merge"]},
                    },
                },
            },
        },
        "required": ["pacticipantName", "pacticipantVersionNumber", "contracts"],
    },
    ("post", "/pacts/provider/{provider}/for-verification"): {
        "type": "object",
        "properties": {
            "consumerVersionSelectors": {"type": "array", "maxItems": 4, "items": _SELECTOR},
            "providerVersionBranch": _NAME,
            "providerVersionTags": {"type": "array", "maxItems": 2, "items": _NAME},
            "includePendingStatus": {"type": "boolean"},
            "includeWipPactsSince": {"type": "string", "format": "date"},
        },
    },
    ("post", "/environments"): _ENVIRONMENT,
    ("put", "/environments/{uuid}"): _ENVIRONMENT,
    ("post", "/pacticipants"): _PACTICIPANT,
    ("put", "/pacticipants/{pacticipant}"): _PACTICIPANT,
    ("patch", "/pacticipants/{pacticipant}"): _PACTICIPANT,
    ("put", "/pacts/provider/{provider}/consumer/{consumer}/version/{version}"): _PACT,
    ("patch", "/pacts/provider/{provider}/consumer/{consumer}/version/{version}"): _PACT,
    (
        "post",
        "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}/verification-results",
    ): _VERIFICATION,
    (
        "post",
        "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}/metadata/{metadata}"
        "/verification-results",
    ): _VERIFICATION,
    ("post", "/webhooks"): _WEBHOOK,
    ("put", "/webhooks/{uuid}"): _WEBHOOK,
    ("post", "/webhooks/provider/{provider}/consumer/{consumer}"): _WEBHOOK,
    ("patch", "/deployed-versions/{uuid}"): {
        "type": "object",
        "properties": {"currentlyDeployed": {"type": "boolean"}},
    },
    ("patch", "/released-versions/{uuid}"): {
        "type": "object",
        "properties": {"currentlySupported": {"type": "boolean"}},
    },
}
"""Bodies as the Pact Broker documents them, for operations whose body the document leaves out
(every other write operation gets "any JSON object")."""


def describe_bodies(document: dict[str, Any]) -> int:
    """Give every write operation without a request body a JSON one; returns how many."""
    described = 0
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in WRITE_METHODS or "requestBody" in operation:
                continue
            schema = BODY_SCHEMAS.get((method, path), {"type": "object"})
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": schema}},
            }
            described += 1
    return described
