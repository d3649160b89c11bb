"""TAXII 2.1 wire details: media types, content negotiation, credentials,
query parameters and error bodies."""

from __future__ import annotations

import base64
import binascii

import orjson
from flask import Response, request

from ingest.stix.timestamps import parse_timestamp
from ncert.errors import BadRequest, NcertError, Unauthenticated
from ncert.services.taxii import ObjectFilter, canonical_version

MEDIA_TYPE = "application/taxii+json;version=2.1"
_TAXII = "application/taxii+json"


class NotAcceptable(NcertError):
    status, code = 406, "not_acceptable"


class UnsupportedMediaType(NcertError):
    status, code = 415, "unsupported_media_type"


def _media_ranges(header: str) -> list[tuple[str, dict[str, str]]]:
    out = []
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";") if p.strip()]
        if not pieces:
            continue
        params = {}
        for p in pieces[1:]:
            k, _, v = p.partition("=")
            params[k.strip().lower()] = v.strip().strip('"')
        out.append((pieces[0].lower(), params))
    return out


def _is_taxii21(media: str, params: dict[str, str]) -> bool:
    # A bare application/taxii+json means "the latest version" (TAXII 2.1 §1.6.8).
    return media == _TAXII and params.get("version", "2.1") == "2.1"


def check_accept() -> None:
    """406 unless the client accepts TAXII 2.1 JSON (or anything)."""
    header = request.headers.get("Accept", "*/*")
    for media, params in _media_ranges(header):
        if media in ("*/*", "application/*") or _is_taxii21(media, params):
            return
    raise NotAcceptable(f"this server only answers {MEDIA_TYPE}; the request accepts {header!r}")


def check_content_type() -> None:
    header = request.headers.get("Content-Type", "")
    ranges = _media_ranges(header)
    if not ranges or not _is_taxii21(*ranges[0]):
        raise UnsupportedMediaType(f"send the body as {MEDIA_TYPE}, not {header or 'no Content-Type'!r}")


def api_key() -> str:
    """The API key from HTTP Basic (as the password), Bearer or Token credentials."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme in ("bearer", "token") and value:
        return value
    if scheme == "basic" and value:
        try:
            _, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("malformed Basic credentials") from None
        if password:
            return password
    raise Unauthenticated("send an API key: HTTP Basic with the key as password, or 'Authorization: Bearer <key>'")


def taxii_json(body, status: int = 200, headers: dict | None = None) -> Response:
    data = body if isinstance(body, (bytes, str)) else orjson.dumps(body)
    return Response(data, status=status, headers=headers or {}, content_type=MEDIA_TYPE)


def error_response(status: int, title: str, description: str) -> Response:
    """A TAXII 2.1 error message (§3.6.1); http_status is a string by the spec."""
    resp = taxii_json({"title": title, "description": description, "http_status": str(status)}, status)
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Basic realm="ncert TAXII", Bearer'
    return resp


def limit(maximum: int) -> int:
    raw = request.args.get("limit")
    if raw is None:
        return maximum
    if not raw.isdigit() or int(raw) < 1:
        raise BadRequest(f"limit must be a positive integer, not {raw!r}")
    return min(int(raw), maximum)


def _csv(name: str) -> tuple[str, ...]:
    raw = request.args.get(name)
    if raw is None:
        return ()
    values = tuple(v for v in raw.split(",") if v)
    if not values:
        raise BadRequest(f"{name} is empty")
    return values


def object_filter(*, allow_id_type: bool = True) -> ObjectFilter:
    """added_after and match[id|type|version|spec_version] (TAXII 2.1 §3.4)."""
    added_after = request.args.get("added_after")
    try:
        after = parse_timestamp(added_after) if added_after is not None else None
    except ValueError:
        raise BadRequest(f"added_after must be a timestamp like 2026-01-31T12:00:00.000000Z, not {added_after!r}")
    versions = _csv("match[version]") or ("last",)
    try:
        versions = tuple(v if v in ("last", "first", "all") else canonical_version(v) for v in versions)
    except ValueError:
        raise BadRequest("match[version] takes last, first, all or STIX timestamps") from None
    return ObjectFilter(
        added_after=after,
        ids=_csv("match[id]") if allow_id_type else (),
        types=_csv("match[type]") if allow_id_type else (),
        versions=versions,
        spec_versions=_csv("match[spec_version]"),
    )
