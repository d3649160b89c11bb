"""Reading the objects of a STIX bundle or a TAXII envelope.

A STIX 2.1 bundle (§8) and a TAXII 2.1 envelope (TAXII §3.7) both carry their
objects in a top-level ``objects`` array; clients often POST bundle-shaped JSON
to TAXII, so either is accepted. Objects come out as plain dicts, unvalidated
(see ``validate.check``), so that one bad object never hides the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson
import orjson

from ncert.bodies import DepthGuard
from ncert.config import MAX_JSON_DEPTH

# ijson picks its fastest available backend (the yajl2_c C extension when it
# is installed); `use_float=True` yields floats instead of Decimal, so objects
# re-serialise with orjson.
_HEAD_BYTES = 1 << 20


class StixDocumentError(ValueError):
    """The document as a whole is unusable: malformed JSON, or no ``objects`` array."""


class _Head:
    """A binary reader that remembers its first bytes, to explain an empty result afterwards."""

    def __init__(self, source: BinaryIO):
        self._source = source
        self.head: bytearray | None = bytearray()

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson probes with read(0); a WSGI input stream takes that for a disconnect
            return b""
        chunk = self._source.read(size)
        if self.head is not None:
            self.head += chunk
            if len(self.head) > _HEAD_BYTES:
                self.head = None
        return chunk


def iter_objects(source: BinaryIO, max_depth: int = MAX_JSON_DEPTH) -> Iterator[Any]:
    """Yield the items of the document's ``objects`` array one at a time, streaming.

    ``source`` is a binary file object; memory stays bounded by the largest
    single object, whatever the document's size or nesting: an item nesting
    deeper than ``max_depth`` is never built, it comes out cut one level past
    the limit (``ncert.bodies.DepthGuard``), for validation to refuse alone.
    Raises StixDocumentError for malformed JSON, possibly after some objects
    were yielded (the stream is read once), and when the document has no
    ``objects`` array.
    """
    # The items sit two levels down: in the document, in its objects array.
    reader = _Head(DepthGuard(source, max_depth + 2))
    found = False
    try:
        for obj in ijson.items(reader, "objects.item", use_float=True):
            if not found:
                found, reader.head = True, None
            yield obj
    except ijson.JSONError as exc:
        raise StixDocumentError(f"malformed JSON: {_first_line(exc)}") from None
    if not found:
        if reader.head is None:  # over a megabyte without a single object
            raise StixDocumentError("the document has no objects: expected a STIX bundle or a TAXII envelope")
        objects_of(orjson.loads(reader.head))


def _first_line(exc: Exception) -> str:
    """yajl's messages span lines (a snippet and a caret), sometimes as bytes; keep the first."""
    detail = exc.args[0] if exc.args else exc
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    return str(detail).strip().splitlines()[0]


def objects_of(document: Any) -> list[Any]:
    """The ``objects`` array of an already parsed bundle or envelope."""
    if not isinstance(document, dict):
        raise StixDocumentError("the document is not a JSON object: expected a STIX bundle or a TAXII envelope")
    objects = document.get("objects")
    if objects is None:
        kind = document.get("type")
        hint = f" (it looks like a single {kind} object)" if isinstance(kind, str) and kind != "bundle" else ""
        raise StixDocumentError(
            f"the document has no 'objects' array{hint}: expected a STIX bundle or a TAXII envelope")
    if not isinstance(objects, list):
        raise StixDocumentError("'objects' is not an array")
    return objects
