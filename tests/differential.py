"""The differential check of the trust boundary: derived data is data.

What an organisation sees about its own reports must not depend on reports it
cannot see. The check: another organisation reports a *secret* value in an
incident hidden from the prober; nobody else reports the *control* value. The
prober files the same report twice, once with each value, and every response it
gets about those two reports must be identical once its own ids, references and
times are set aside and the two values are written as one placeholder.

    probe = Differential(secret="203.0.113.66", control="203.0.113.67")
    probe.assert_same(lambda value: fetch_what_the_prober_sees(value))

``fetch`` is called once per value; it may return JSON (dicts and lists), text
(HTML, CSV, XML) or bytes. A difference fails with both normalised answers.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any, Callable

VALUE = "<VALUE>"

_REFERENCE = re.compile(r"NC-\d{4}-\d{6}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?( UTC)?")
_EPOCH_KEYS = {"timestamp", "publish_timestamp", "date_sighting", "last_seen", "first_seen"}
_CSRF = re.compile(r'(name="[\w-]*csrf_token"[^>]*value=")[^"]*(")')
_NONCE = re.compile(r'(nonce=")[^"]*(")')
_ID_PATH = re.compile(r"/(\d+)(?=[/\"'?#\s]|$)")


# The console's likely-duplicates panel: the prober's two reports (same reporter, same title, filed
# moments apart) rightly suggest each other, so the second view lists the first. What the panel may
# show is probed on its own, with reports that cannot suggest each other
# (tests/boundary/test_duplicate_suggestions.py).
_DUPLICATES_PANEL = re.compile(r'<section class="panel likely-duplicates">.*?</section>', re.S)
_BLANK_LINES = re.compile(r"\n[ \t]*(?=\n)")  # whitespace-only lines carry nothing (and templates vary them)


def _text(value: str, values: tuple[str, ...]) -> str:
    value = _BLANK_LINES.sub("", _DUPLICATES_PANEL.sub("", value))
    for probed in sorted(values, key=len, reverse=True):
        value = value.replace(probed, VALUE)
    value = _REFERENCE.sub("<REF>", value)
    value = _UUID.sub("<UUID>", value)
    value = _TIME.sub("<TIME>", value)
    value = _CSRF.sub(r"\1<CSRF>\2", value)
    value = _NONCE.sub(r"\1<NONCE>\2", value)
    return _ID_PATH.sub("/<ID>", value)


def normalise(payload: Any, values: tuple[str, ...]) -> Any:
    """``payload`` with the probed values, own references, ids, UUIDs and times made placeholders."""
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8", "replace")
    if isinstance(payload, str):
        return _text(payload, values)
    if isinstance(payload, dict):
        out = {}
        for key, item in payload.items():
            key = _text(str(key), values)
            is_id = key == "id" or key.endswith("_id") or key == "object_id"
            if is_id and isinstance(item, int) and not isinstance(item, bool):
                out[key] = "<ID>"
            elif key in _EPOCH_KEYS and isinstance(item, (int, str)) and str(item).isdigit():
                out[key] = "<TIME>"
            else:
                out[key] = normalise(item, values)
        return out
    if isinstance(payload, (list, tuple)):
        return [normalise(item, values) for item in payload]
    return payload


@dataclass(frozen=True)
class Differential:
    """A secret value (reported in a hidden incident) and a control value (reported by nobody else)."""

    secret: str
    control: str

    def assert_same(self, fetch: Callable[[str], Any], *also: str) -> None:
        """``fetch(value)`` answers with what the prober sees about its report of ``value``.

        ``also`` names more spellings of the two values to replace (for example a
        refanged or upper-case form), given as alternating secret/control pairs.
        """
        values = (self.secret, self.control, *also)
        with_hidden = normalise(fetch(self.secret), values)
        control = normalise(fetch(self.control), values)
        if with_hidden != control:
            diff = difflib.unified_diff(_lines(control), _lines(with_hidden), "without the hidden report",
                                        "with the hidden report", lineterm="")
            raise AssertionError("the prober's view depends on a report it cannot see\n" + "\n".join(diff))


def _lines(view: Any) -> list[str]:
    return json.dumps(view, indent=1, sort_keys=True, default=str).replace("\\n", "\n").splitlines()
