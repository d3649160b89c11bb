"""The v1 blueprint and its table of operations.

Each route is declared once, with ``operation(...)``. The declaration adds the
Flask URL rule and records what the OpenAPI document says about the route
(body, query, success and error responses), so the two cannot drift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, Response
from pydantic import BaseModel

PREFIX = "/api/v1"
bp = Blueprint("api_v1", __name__, url_prefix=PREFIX)

_PATH_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str  # Flask rule under the prefix, e.g. "/incidents/<reference>"
    endpoint: str
    summary: str
    description: str
    returns: type[BaseModel]
    ok: dict[int, str]  # success status -> what it means
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    extra_errors: tuple[int, ...]  # statuses only the service can produce (403, 409…)
    public: bool
    location: bool  # the 201 response carries a Location header

    @property
    def path(self) -> str:
        """The OpenAPI path template: ``/api/v1/incidents/{reference}``."""
        return PREFIX + _PATH_PARAM.sub(r"{\1}", self.rule)

    @property
    def path_params(self) -> list[str]:
        return _PATH_PARAM.findall(self.rule)

    @property
    def errors(self) -> list[int]:
        """Every error status this operation can answer with."""
        statuses = {400, *self.extra_errors}  # 400: any route refuses a NUL character in its URL
        if not self.public:
            statuses.add(401)
        if self.body is not None:
            statuses |= {413, 415, 422}
        if self.path_params:
            statuses.add(404)
        return sorted(statuses)


OPERATIONS: list[Operation] = []


def operation(
    method: str,
    rule: str,
    *,
    returns: type[BaseModel],
    summary: str,
    ok: dict[int, str] | None = None,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    errors: tuple[int, ...] = (),
    public: bool = False,
    location: bool = False,
) -> Callable:
    """Register a view for one (method, rule) and describe it for the OpenAPI document."""

    def decorate(view: Callable) -> Callable:
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=view, methods=[method])
        OPERATIONS.append(
            Operation(
                method=method.lower(),
                rule=rule,
                endpoint=f"{bp.name}.{view.__name__}",
                summary=summary,
                description=(view.__doc__ or "").strip(),
                returns=returns,
                ok=ok or {200: "OK"},
                body=body,
                query=query,
                extra_errors=errors,
                public=public,
                location=location,
            )
        )
        return view

    return decorate


def public_endpoints() -> set[str]:
    return {op.endpoint for op in OPERATIONS if op.public}


def respond(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None,
            exclude: set[str] | None = None) -> Response:
    """A JSON response serialised by its pydantic model (aliases applied)."""
    return Response(model.model_dump_json(exclude=exclude), status=status, headers=headers,
                    mimetype="application/json")
