"""The one error type of the domain, carrying its HTTP status.

Services raise these; each door (REST API, console, TAXII, MISP API, CLI)
turns them into its own protocol's error shape in a single handler.
"""

from __future__ import annotations


class NcertError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code


class BadRequest(NcertError):
    status, code = 400, "bad_request"


class Unauthenticated(NcertError):
    status, code = 401, "unauthenticated"


class Forbidden(NcertError):
    status, code = 403, "forbidden"


class NotFound(NcertError):
    status, code = 404, "not_found"


class Conflict(NcertError):
    status, code = 409, "conflict"


class TooManyRequests(NcertError):
    """Refused for now (e.g. sign-in after too many failures); ``retry_after`` in seconds."""

    status, code = 429, "too_many_requests"

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None):
        super().__init__(detail, code=code)
        self.retry_after = retry_after


class Unavailable(NcertError):
    """A service ncert depends on (e.g. Elasticsearch) does not answer: try again later."""

    status, code = 503, "unavailable"


class Invalid(NcertError):
    """Well-formed input that breaks a domain rule or the schema (422)."""

    status, code = 422, "invalid"

    def __init__(self, detail: str, *, errors: list[dict] | None = None, code: str | None = None):
        super().__init__(detail, code=code)
        self.errors = errors or []
