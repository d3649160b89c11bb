"""Redirect targets taken from a request (``?next=``): same-site relative paths only."""

from __future__ import annotations

import string
from urllib.parse import urlsplit

# Printable ASCII without space or backslash. Browsers drop tab and newline
# anywhere in a URL and read "\" as "/" (WHATWG URL Standard, "basic URL
# parser"), so "/\t/evil.example" or "/\\evil.example" would leave the site;
# a newline would also be refused in the Location header (a 500).
_PATH_CHARS = frozenset(string.ascii_letters + string.digits + string.punctuation) - {"\\"}


def local_path(target: str | None, fallback: str) -> str:
    """``target`` if it is a path on this site ("/queue?x=1"), else ``fallback``."""
    if (not target or not target.startswith("/") or target.startswith("//")
            or not set(target) <= _PATH_CHARS):
        return fallback
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else fallback
