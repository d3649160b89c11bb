"""Files users uploaded (evidence, answers to requests), served only as downloads."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response


def attachment(data: bytes, filename: str) -> Response:
    """``data`` as a download the browser never renders, whatever its type: an opaque media type,
    no sniffing, a sandboxing CSP, and ``attachment`` with an ASCII fallback and the UTF-8 name
    (RFC 6266 §4.3, RFC 5987)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return Response(data, mimetype="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'"})
