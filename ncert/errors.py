"""The one error type of the domain, carrying its HTTP status.

Services raise these; each door (REST API, console, TAXII, MISP API, CLI)
turns them into its own protocol's error shape in a single handler.

The detail is English source text marked for the catalogues with ``N_`` and
its values passed apart (issue 14)::

    raise NotFound(N_("incident %(reference)s not found"), reference=reference)

``detail`` is the English sentence (logs, the CLI, the protocols whose
errors are English by their spec); ``localized()`` is the same sentence in the
request's language, for the console and the REST API. A detail the catalogues
do not know (an f-string not yet converted) reads as written in every language.
"""

from __future__ import annotations


class NcertError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None, **params):
        self.message = detail
        self.params = params
        self.detail = detail % params if params else detail
        super().__init__(self.detail)
        if code:
            self.code = code

    def localized(self) -> str:
        """The detail in the request's language (English outside a request)."""
        from flask import has_request_context

        if not has_request_context():
            return self.detail
        from flask_babel import gettext

        return gettext(self.message, **self.params) if self.params else gettext(self.message)


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

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None, **params):
        super().__init__(detail, code=code, **params)
        self.retry_after = retry_after


class Unavailable(NcertError):
    """A service ncert depends on (e.g. Elasticsearch) does not answer: try again later."""

    status, code = 503, "unavailable"


class Invalid(NcertError):
    """Well-formed input that breaks a domain rule or the schema (422)."""

    status, code = 422, "invalid"

    def __init__(self, detail: str, *, errors: list[dict] | None = None, code: str | None = None, **params):
        super().__init__(detail, code=code, **params)
        self.errors = errors or []


class UnsupportedMediaType(NcertError):
    status, code = 415, "unsupported_media_type"
