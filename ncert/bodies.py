"""The limits every JSON parse path applies: nesting depth and size.

Every door that reads JSON (REST API, TAXII, MISP API, MISP feed pulls,
``ncert import``) parses it here or through ``DepthGuard``, so one setting
(``NCERT_MAX_JSON_DEPTH``) bounds them all. Sizes are the doors' existing
settings: ``NCERT_MAX_CONTENT_LENGTH`` for the REST API and console,
``NCERT_TAXII_MAX_CONTENT_LENGTH`` for bulk intake (TAXII, MISP API, feed pulls).

Depth counts containers: ``1`` is 0 deep, ``[]`` 1, ``{"a": [1]}`` 2. Deep
nesting is never useful in threat intelligence (STIX objects nest a handful of
levels), while it costs parsers memory and stack out of proportion to its size.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any, BinaryIO

import orjson

from ncert.errors import BadRequest, NcertError
from ncert.lazy import numpy as np

CHUNK = 64 * 1024
_QUOTE = ord('"')


@cache
def _steps() -> np.ndarray:
    """Each byte's step in depth: +1 for an opening bracket, -1 for a closing one."""
    steps = np.zeros(256, dtype=np.int8)
    steps[list(b"[{")], steps[list(b"]}")] = 1, -1
    return steps


class TooDeep(BadRequest):
    code = "too_deep"


class TooLarge(NcertError):
    status, code = 413, "too_large"


def too_deep_message(max_depth: int, what: str) -> str:
    return f"{what} nests deeper than {max_depth} levels of arrays and objects"


def nests_deeper(value: Any, max_depth: int) -> bool:
    """Whether ``value`` (parsed JSON) nests more than ``max_depth`` containers deep; level by level, no recursion."""
    level = [value] if type(value) in (dict, list) else []
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            return True
        inner = []
        for container in level:
            for item in container.values() if type(container) is dict else container:
                if type(item) is dict or type(item) is list:
                    inner.append(item)
        level = inner
    return False


def loads(data: bytes | str, *, max_depth: int, what: str = "the body") -> Any:
    """Parse JSON whose size the door already bounded: 400 when malformed or nested past ``max_depth``."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:  # orjson also refuses nesting past 1024 levels
        raise BadRequest(f"malformed JSON: {exc}") from None
    if nests_deeper(value, max_depth):
        raise TooDeep(too_deep_message(max_depth, what))
    return value


def read_capped(chunks: Iterable[bytes], max_bytes: int, what: str) -> bytes:
    """Join ``chunks`` (a streamed HTTP response), refusing (413) as soon as they pass ``max_bytes``."""
    out = bytearray()
    for chunk in chunks:
        out += chunk
        if len(out) > max_bytes:
            raise TooLarge(f"{what} is larger than {max_bytes:,} bytes")
    return bytes(out)


class DepthGuard:
    """A binary reader in front of a streaming JSON parser that bounds nesting.

    A container that would open deeper than ``max_depth`` is replaced, with all
    it holds, by ``[]`` as its bytes stream past: the parser never builds it
    (a streaming parser's memory grows with the square of the depth), and what
    it yields nests exactly one level too deep, for ``nests_deeper`` to refuse
    that one value while its neighbours pass. Each chunk is profiled whole in
    numpy (brackets outside strings, escapes taken out first), so the cost is
    a few passes over the bytes, whatever their shape.
    """

    def __init__(self, source: BinaryIO, max_depth: int):
        self._source, self._cap = source, max_depth
        self._held = b""  # a trailing run of backslashes: its escapes end in the next chunk
        self._out = bytearray()  # ready for the parser
        self._depth = 0
        self._in_string = 0
        self._dropping = False  # inside a container past the limit
        self._eof = False

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        while not self._out and not self._eof:
            chunk = self._source.read(CHUNK)
            if not chunk:
                self._eof, chunk = True, b""
            data = self._held + chunk
            cut = len(data) if self._eof else len(data.rstrip(b"\\"))
            self._held = data[cut:]
            if cut:
                self._scan(data[:cut])
        if size < 0 or size >= len(self._out):
            out, self._out = bytes(self._out), bytearray()
        else:
            out = bytes(self._out[:size])
            del self._out[:size]
        return out

    def _scan(self, data: bytes) -> None:
        # Escapes become two inert bytes, so every quote left opens or closes a string.
        plain = data.replace(b"\\\\", b"__").replace(b'\\"', b"__") if b"\\" in data else data
        codes = np.frombuffer(plain, dtype=np.uint8)
        every = _steps()[codes]
        at = np.flatnonzero(every)  # brackets, in strings or not
        quotes = np.flatnonzero(codes == _QUOTE)
        outside = ((np.searchsorted(quotes, at) + self._in_string) & 1) == 0
        self._in_string = (len(quotes) + self._in_string) & 1
        at = at[outside]
        if not at.size:
            if not self._dropping:
                self._out += data
            return
        depths = np.cumsum(every[at], dtype=np.int64)
        depths += self._depth
        self._depth = int(depths[-1])
        if not self._dropping and depths.max() <= self._cap:
            self._out += data
        elif not (self._dropping and depths.min() > self._cap):
            self._drop_deep(data, at, depths > self._cap)

    def _drop_deep(self, data: bytes, at: np.ndarray, over: np.ndarray) -> None:
        """Pass ``data`` on without the runs of brackets past the limit: each becomes ``[]``."""
        before = np.concatenate(([self._dropping], over[:-1]))
        starts = at[np.flatnonzero(over & ~before)]  # the bracket opening past the limit
        ends = at[np.flatnonzero(~over & before)] + 1  # just after the bracket closing it again
        bounds = sorted([(int(i), True) for i in starts] + [(int(i), False) for i in ends])
        emit_from = None if self._dropping else 0
        for offset, opens in bounds:
            if opens:
                self._out += data[emit_from:offset] + b"[]"
                emit_from = None
            else:
                emit_from = offset
        if emit_from is not None:
            self._out += data[emit_from:]
        self._dropping = emit_from is None
