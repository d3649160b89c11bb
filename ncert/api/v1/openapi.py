"""``/openapi.json``: an OpenAPI 3.1 document generated from the routes themselves.

Paths and methods come from the operation table (the same declarations that
add the Flask URL rules); request, query and response schemas come from the
pydantic models the views parse and serialise with.
Spec: https://spec.openapis.org/oas/v3.1.0
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

import orjson
from flask import Response, current_app
from pydantic import ConfigDict
from pydantic.json_schema import models_json_schema

from ncert.api.v1.routing import OPERATIONS, Operation, operation
from ncert.api.v1.serialize import ErrorBody, Out, ValidationErrorBody

REF = "#/components/schemas/{model}"

ERRORS = {
    400: "Malformed JSON, query parameters or URL",
    401: "Missing, unknown or revoked API key",
    403: "The key's role or organisation may not do this",
    404: "No such incident (or risk, task, request for information, advisory), or not one this key may see",
    409: "Conflicts with the incident's (or advisory's) state, e.g. an invalid status transition",
    413: "Body larger than the server's limit",
    415: "Body not sent as application/json",
    422: "Body does not match the schema or breaks a domain rule",
    503: "A service behind this one (the search cluster) does not answer; try again shortly",
}

PATH_PARAMETERS = {"risk_reference": "Risk reference, e.g. R-2026-0001", "task_id": "Task id",
                   "rfi_id": "Request for information id",
                   "advisory_reference": "Advisory reference, e.g. NCERT-SA-2026-0001",
                   "number": "Revision number of the advisory (1, 2, …)"}
INTEGER_PATH_PARAMETERS = {"task_id", "rfi_id", "number"}


class OpenAPIDocument(Out):
    """This document."""

    model_config = ConfigDict(extra="allow")

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


@operation("GET", "/openapi.json", returns=OpenAPIDocument, summary="This API's OpenAPI document", public=True)
def openapi():
    """The OpenAPI 3.1 description of every route; needs no API key."""
    doc = document(current_app.extensions["ncert"].settings.page_size_max)
    return Response(orjson.dumps(doc), mimetype="application/json")


@lru_cache(maxsize=8)
def _document(page_size_max: int) -> bytes:
    schemas_for = [(ErrorBody, "serialization"), (ValidationErrorBody, "serialization")]
    for op in OPERATIONS:
        schemas_for.append((op.returns, "serialization"))
        if op.body is not None:
            schemas_for.append((op.body, "validation"))
        if op.query is not None:
            schemas_for.append((op.query, "validation"))
    refs, defs = models_json_schema(list(dict.fromkeys(schemas_for)), ref_template=REF)
    schemas = defs["$defs"]
    _lenient_inputs(schemas)

    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op, refs, schemas, page_size_max)
    for op in OPERATIONS:  # query models become parameters, not components
        if op.query is not None:
            schemas.pop(refs[(op.query, "validation")]["$ref"].rsplit("/", 1)[1], None)
    doc = {
        "openapi": "3.1.0",
        "info": {
            "title": "ncert REST API",
            "version": "1",
            "description": "Submit, search and triage incidents in the national queue. Every route but this "
                           "document needs 'Authorization: Bearer <api key>'. Errors are "
                           "{\"error\": code, \"detail\": text}; 422 adds \"errors\".",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer", "description": "An ncert API key"}},
        },
        "security": [{"apiKey": []}],
    }
    return orjson.dumps(doc)


def document(page_size_max: int) -> dict:
    """The document for a server whose page size limit is ``page_size_max`` (a fresh copy)."""
    return orjson.loads(_document(page_size_max))


def _operation(op: Operation, refs: dict, schemas: dict, page_size_max: int) -> dict:
    out: dict[str, Any] = {
        "operationId": op.endpoint.rsplit(".", 1)[1],
        "summary": op.summary,
        "description": op.description,
        "tags": [op.rule.strip("/").split("/")[0].removesuffix(".json")],
        "parameters": [
            {"name": name, "in": "path", "required": True,
             "schema": {"type": "integer" if name in INTEGER_PATH_PARAMETERS else "string"},
             "description": PATH_PARAMETERS.get(name, "Incident reference, e.g. NC-2026-000042")}
            for name in op.path_params
        ],
        "responses": {},
    }
    if op.query is not None:
        query_schema = schemas[refs[(op.query, "validation")]["$ref"].rsplit("/", 1)[1]]
        out["parameters"] += _query_parameters(query_schema, page_size_max)
    if not out["parameters"]:
        del out["parameters"]
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": _json(refs[(op.body, "validation")])}
    if op.public:
        out["security"] = []
    for status, text in sorted(op.ok.items()):
        response: dict[str, Any] = {"description": text, "content": _json(refs[(op.returns, "serialization")])}
        if status == 201 and op.location:
            response["headers"] = {"Location": {"description": "URL of the new incident",
                                                "schema": {"type": "string", "format": "uri-reference"}}}
        out["responses"][str(status)] = response
    for status in op.errors:
        body = ValidationErrorBody if status == 422 else ErrorBody
        response = {"description": ERRORS[status], "content": _json(refs[(body, "serialization")])}
        if status == 401:
            response["headers"] = {"WWW-Authenticate": {"description": "Bearer challenge (RFC 6750)",
                                                        "schema": {"type": "string"}}}
        out["responses"][str(status)] = response
    return out


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _query_parameters(model_schema: dict, page_size_max: int) -> list[dict]:
    params = []
    required = set(model_schema.get("required", ()))
    for name, prop in model_schema["properties"].items():
        schema = copy.deepcopy(prop)
        schema.pop("title", None)
        description = schema.pop("description", "")
        param = {"name": name, "in": "query", "required": name in required, "schema": schema}
        if description:
            param["description"] = description
        if schema.get("type") == "array":
            param.update(style="form", explode=False)  # status=new,triaged
        if name == "limit":
            schema["maximum"] = page_size_max
        params.append(param)
    return params


def _lenient_inputs(schemas: dict) -> None:
    """Document what input parsing accepts beyond the models' plain schemas."""
    category = schemas.get("Category")
    if category is not None:
        schemas["Category"] = {
            "description": category.get("description", ""),
            "anyOf": [
                {k: v for k, v in category.items() if k != "description"},
                {"type": "string", "pattern": "^[a-z-]+/[a-z-]+$", "description": "'class/type'"},
            ],
        }
    if "TLP" in schemas:
        schemas["TLP"]["description"] = (
            "A TLP 2.0 label (https://www.first.org/tlp/). In request bodies and query strings the label is also "
            "accepted case-insensitively, without the 'TLP:' prefix, and TLP 1.0 'WHITE' as TLP:CLEAR."
        )
