"""STIX 2.1 timestamps (§3.2 "timestamp"): RFC 3339, UTC, written with ``Z``.

The form is ``YYYY-MM-DDTHH:mm:ss[.s+]Z``: any number of sub-second digits, no
decimal point without digits, no offset other than ``Z``. ``created`` and
``modified`` need at least millisecond precision (§3.2, common properties;
the OASIS JSON schema's ``timestamp_millis``).
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

# The OASIS cti-stix2-json-schemas `common/timestamp.json` pattern, with the
# seconds and the fraction captured for the leap-second and millisecond rules.
_TIMESTAMP = re.compile(
    r"[0-9]{4}-(?:0[1-9]|1[012])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?Z"
)


def parse_timestamp(text: object, *, millis: bool = False) -> datetime:
    """Return the aware UTC datetime of a STIX timestamp or raise ValueError saying why not.

    Precision beyond microseconds is truncated. A leap second (``:60``) is read
    as the last microsecond of its minute, since ``datetime`` has no second 60.
    """
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a timestamp string")
    moment, precise = _parse(text)
    if millis and not precise:
        raise ValueError(f"{text!r} is not precise to the millisecond (STIX 2.1 requires at least .sss here)")
    return moment


# Bulk STIX repeats the same timestamps across thousands of objects.
@lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[datetime, bool]:
    """(moment, whether it has at least millisecond precision)."""
    m = _TIMESTAMP.fullmatch(text)
    if m is None:
        raise ValueError(f"{text!r} is not an RFC 3339 UTC timestamp of the form YYYY-MM-DDTHH:MM:SS[.s+]Z")
    try:
        moment = datetime.fromisoformat(text[:17] + "59.999999+00:00" if m[1] == "60" else text)
    except ValueError:
        raise ValueError(f"{text!r} is not a calendar date") from None
    return moment, m[2] is not None and len(m[2]) >= 4
