"""Screening a pushed MISP event: keep its valid parts, say what was dropped, never unpack attachments.

MISP saves an event with the attributes and objects that validate and leaves
out the others (``Event::_add`` saves each attribute on its own and logs the
validation errors); so does this. An invalid attribute or object is dropped
with its reason, and only an event that is itself invalid (no ``info``, a bad
``distribution``…) is refused whole.

Attachments (``data`` of ``malware-sample`` and ``attachment`` attributes) are
opaque: PyMISP's ``MISPAttribute._prepare_data`` base64-decodes ``data`` and
opens a ``malware-sample`` as a zip to read its ``.filename.txt`` member, which
a crafted zip inflates without bound. So ``data`` is taken out of every
attribute before PyMISP sees it, checked as base64 and against a size cap, and
kept aside as bytes, keyed by attribute UUID.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid as uuidlib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pymisp import MISPAttribute, MISPEvent

ATTACHMENT_TYPES = ("malware-sample", "attachment")  # the types whose ``data`` MISP stores
# MISP object names are misp-objects template names (https://github.com/MISP/misp-objects): lowercase
# words and hyphens. PyMISP looks a name up as a template directory, so nothing else may reach it.
OBJECT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,127}")
MAX_RELATION = 128  # misp_attributes.object_relation


class MispEventError(ValueError):
    """The event itself is not one PyMISP can load; the message says why."""


@dataclass(frozen=True)
class Dropped:
    """A part of the event that was not saved, and why: an "Attribute" (of the object
    ``object_uuid``, if any) or an "Object"."""

    part: str
    uuid: str | None
    reason: str
    object_uuid: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {"part": self.part, "uuid": self.uuid, "reason": self.reason}
        return out | ({"object_uuid": self.object_uuid} if self.object_uuid else {})


@dataclass
class Screened:
    """The loadable event, its attachments by attribute UUID, and the dropped parts."""

    event: MISPEvent
    attachments: dict[str, bytes] = field(default_factory=dict)
    dropped: list[Dropped] = field(default_factory=list)


def screen_event(data: Any, *, attachment_max_bytes: int | None) -> Screened:
    """Load ``data`` (``{"Event": {...}}`` or the bare event dict) keeping its valid parts.

    ``attachment_max_bytes`` is for an event that is stored as sent: attachments up to that
    size are kept, and values no database text column holds (a NUL character) are dropped.
    With None, attachment data is left out unread and values are kept: only the event's
    facts are wanted (``mapping.event_record`` replaces a NUL). Raises MispEventError when
    the event itself cannot be loaded. The caller's dict is not modified.
    """
    if isinstance(data, dict) and isinstance(data.get("Event"), dict):
        data = data["Event"]
    if not isinstance(data, dict):
        raise MispEventError("a MISP event must be a JSON object")
    body = json.loads(json.dumps(data))  # PyMISP pops from nested dicts: work on a copy
    attachments: dict[str, bytes] = {}
    dropped: list[Dropped] = []
    for key in ("Attribute", "Object"):
        if not isinstance(body.get(key) or [], list):
            raise MispEventError(f"{key} must be a list")
    body["Attribute"] = [a for a in (body.get("Attribute") or [])
                         if _attribute_kept(a, attachments, dropped, attachment_max_bytes)]
    body["Object"] = [o for o in (body.get("Object") or []) if _object_kept(o, attachments, dropped,
                                                                           attachment_max_bytes)]
    try:
        event = _event(body)
    except MispEventError:
        event = _event_isolating(body, dropped)
    return Screened(event, attachments, dropped)


def screen_attribute(data: Any, *, attachment_max_bytes: int) -> tuple[MISPAttribute, bytes | None]:
    """One attribute (``attributes/add``) loaded without reading its attachment: (attribute, attachment bytes).

    Raises MispEventError naming the fault.
    """
    if isinstance(data, dict) and isinstance(data.get("Attribute"), dict):
        data = data["Attribute"]
    body = json.loads(json.dumps(data))
    attachments: dict[str, bytes] = {}
    dropped: list[Dropped] = []
    if not _attribute_kept(body, attachments, dropped, attachment_max_bytes):
        raise MispEventError(dropped[0].reason)
    attribute = MISPAttribute()
    try:
        attribute.from_dict(**body)
    except Exception as exc:  # as in _event
        raise MispEventError(f"not a valid MISP attribute: {exc}") from None
    return attribute, attachments.get(body["uuid"])


def _event(body: dict) -> MISPEvent:
    event = MISPEvent()
    try:
        event.from_dict(**json.loads(json.dumps(body)))
    # OverflowError: a timestamp beyond datetime's range; OSError: PyMISP looking an object name up on disk.
    except Exception as exc:  # PyMISP raises anything from KeyError to its own errors on bad input
        raise MispEventError(f"not a valid MISP event: {exc}") from None
    return event


def _event_isolating(body: dict, dropped: list[Dropped]) -> MISPEvent:
    """The slow path: the event without parts, then each part alone, keeping those that load."""
    parts = {"Attribute": body.pop("Attribute"), "Object": body.pop("Object")}
    _event(body)  # the event itself; MispEventError if it is the culprit
    for key, items in parts.items():
        body[key] = []
        for item in items:
            try:
                _event({**body, key: [item]})
            except MispEventError as exc:
                dropped.append(Dropped(key, item.get("uuid"), str(exc).removeprefix("not a valid MISP event: ")))
                continue
            body[key].append(item)
    return _event(body)


def _attribute_kept(attribute: Any, attachments: dict[str, bytes], dropped: list[Dropped], cap: int | None,
                    object_uuid: str | None = None) -> bool:
    reason = _attribute_fault(attribute)
    if reason is None and cap is not None and "\x00" in str(attribute["value"]):
        reason = "the value contains a NUL character, which no database text column holds"
    if reason is None:
        reason = _take_attachment(attribute, attachments, cap)
    if reason is not None:
        uid = attribute.get("uuid") if isinstance(attribute, dict) else None
        dropped.append(Dropped("Attribute", uid if isinstance(uid, str) else None, reason, object_uuid))
    return reason is None


def _attribute_fault(attribute: Any) -> str | None:
    """Why the attribute cannot be saved (and its ``uuid`` made canonical, or given); None if it can."""
    if not isinstance(attribute, dict):
        return "an attribute must be a JSON object"
    uid = _canonical_uuid(attribute.get("uuid"))
    if uid is None:
        return f"{attribute.get('uuid')!r} is not a UUID"
    attribute["uuid"] = uid
    if not isinstance(attribute.get("type"), str) or not attribute["type"]:
        return "an attribute needs a type"
    if attribute["type"] not in _known_types():
        return f"unknown attribute type {attribute['type'][:64]!r} (MISP describeTypes)"
    value = attribute.get("value")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) or str(value) == "":
        return "an attribute needs a text or number value"
    relation = attribute.get("object_relation")
    if relation is not None and len(str(relation)) > MAX_RELATION:
        return f"object_relation is longer than {MAX_RELATION} characters"
    return None


def _take_attachment(attribute: dict, attachments: dict[str, bytes], cap: int | None) -> str | None:
    """Move ``data`` out of the attribute: kept as bytes for attachment types, ignored for others."""
    data = attribute.pop("data", None)
    if not data or cap is None or attribute["type"] not in ATTACHMENT_TYPES:
        return None
    if not isinstance(data, str):
        return "data must be base64 text"
    if len(data) // 4 * 3 > cap + 3:  # base64 carries 3 bytes per 4 characters: refused before decoding
        return f"the attachment is larger than {cap} bytes"
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return "data is not base64"
    if len(raw) > cap:
        return f"the attachment is larger than {cap} bytes"
    attachments[attribute["uuid"]] = raw
    return None


def _object_kept(obj: Any, attachments: dict[str, bytes], dropped: list[Dropped], cap: int | None) -> bool:
    reason = None
    if not isinstance(obj, dict):
        reason = "an object must be a JSON object"
    elif (uid := _canonical_uuid(obj.get("uuid"))) is None:
        reason = f"{obj.get('uuid')!r} is not a UUID"
    elif not isinstance(obj.get("name"), str) or not OBJECT_NAME.fullmatch(obj["name"]):
        reason = f"{obj.get('name')!r} is not a MISP object template name"
    elif not isinstance(obj.get("Attribute") or [], list):
        reason = "the object's Attribute must be a list"
    if reason is not None:
        uid = obj.get("uuid") if isinstance(obj, dict) else None
        dropped.append(Dropped("Object", uid if isinstance(uid, str) else None, reason))
        return False
    obj["uuid"] = uid
    obj["Attribute"] = [a for a in obj.get("Attribute") or []
                        if _attribute_kept(a, attachments, dropped, cap, uid)]
    return True


@cache
def _known_types() -> frozenset[str]:
    """MISP's attribute types, as PyMISP's bundled describeTypes.json lists them."""
    return frozenset(MISPAttribute().known_types)


def _canonical_uuid(value: Any) -> str | None:
    """A canonical UUID; a new one when none is given; None when ``value`` is not one."""
    if value in (None, ""):
        return str(uuidlib.uuid4())
    try:
        return str(uuidlib.UUID(str(value)))
    except ValueError:
        return None
