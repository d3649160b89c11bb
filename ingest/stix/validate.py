"""Validation of one STIX 2.1 object, without building library objects.

Implements the MUST rules of STIX 2.1 (OASIS Standard, 10 June 2021,
https://docs.oasis-open.org/cti/stix/v2.1/os/stix-v2.1-os.html) that decide
whether an object can be stored and understood: type names (§3.1), common
properties (§3.2), identifiers (§2.9), timestamps (§3.2), references (§2.9,
"_ref"/"_refs"), lists (§2.6, never empty), the required properties of each
object type (§4-§7) and indicator patterns (§9). Everything else in an object
(custom ``x_`` properties, custom ``x-`` types, ``extensions``) is accepted and
kept verbatim in ``StixObject.raw``.

``check`` is the hot path of intake: plain dict look-ups, precompiled regexes,
and exceptions only for invalid objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .patterns import pattern_errors
from .timestamps import parse_timestamp

# §6 STIX Cyber-observable Objects: not versioned, no created/modified (§3.6).
SCO_TYPES = frozenset({
    "artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message", "file",
    "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process", "software", "url",
    "user-account", "windows-registry-key", "x509-certificate",
})

# §3.1: a-z, 0-9 and hyphen, starting with a letter, no double hyphen, 3-250
# characters. A trailing hyphen would make `<type>--<uuid>` ambiguous and the
# OASIS identifier schema refuses it, so it is refused here too.
_TYPE_NAME = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*"
# §2.9: an RFC 4122 UUID (versions 1-5, RFC 4122 variant), as in the OASIS
# `common/identifier.json` schema.
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
_TYPE_NAME_RE = re.compile(_TYPE_NAME)
_UUID_RE = re.compile(_UUID)
_IDENTIFIER_RE = re.compile(rf"{_TYPE_NAME}--{_UUID}")
_MAX_COUNT = 999_999_999  # number_observed (§4.14), count (§5.2)
# Incident Core Extension 2.0 (cti-stix-common-objects, incident-core): its id
# and the enumerations whose values it says MUST be used.
INCIDENT_CORE = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"
_DETERMINATIONS = frozenset({
    "blocked", "failed-attempt", "false-positive", "low-value", "successful-attempt", "suspected",
})
_RECOVERABILITY = frozenset({"extended", "not-applicable", "not-recoverable", "regular", "supplemented"})
# Reference lists whose targets the spec fixes (§7.2.2, §5.2).
_REF_PREFIXES = {"object_marking_refs": "marking-definition--", "observed_data_refs": "observed-data--"}


class StixObjectError(ValueError):
    """One object is invalid. ``str(error)`` names the property and what is wrong.

    ``id`` and ``version`` repeat the object's own ``id`` and ``modified`` (or
    ``created``) strings when it has them, for per-object status reports.
    """

    def __init__(self, message: str, obj: object = None):
        super().__init__(message)
        fields = obj if isinstance(obj, dict) else {}
        self.id = fields.get("id") if isinstance(fields.get("id"), str) else None
        version = fields.get("modified", fields.get("created"))
        self.version = version if isinstance(version, str) else None


@dataclass(slots=True)
class StixObject:
    """A valid STIX 2.1 object: the properties storage keys on, and the object as received.

    ``version`` is ``modified``, or ``created`` for objects that are not
    versioned (marking definitions), or None for cyber-observables, which carry
    neither (§3.6). Timestamps are aware UTC datetimes.
    """

    id: str
    type: str
    spec_version: str
    version: datetime | None
    created: datetime | None
    modified: datetime | None
    revoked: bool
    object_marking_refs: tuple[str, ...]
    raw: dict[str, Any]


def _fail(obj: dict, message: str):
    raise StixObjectError(message, obj)


def _what(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "an integer",
             float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _present(obj: dict, prop: str) -> Any:
    value = obj.get(prop)
    if value is None:
        _fail(obj, f"'{prop}' is missing; STIX 2.1 requires it on {obj['type']}")
    return value


def _string(obj: dict, prop: str) -> str:
    value = _present(obj, prop)
    if type(value) is not str:
        _fail(obj, f"'{prop}' must be a string, not {_what(value)}")
    return value


def _timestamp(obj: dict, prop: str, *, millis: bool = False) -> datetime:
    value = _present(obj, prop)
    try:
        return parse_timestamp(value, millis=millis)
    except ValueError as exc:
        reason = str(exc)
    _fail(obj, f"'{prop}': {reason}")


def _integer(obj: dict, prop: str, low: int, high: int) -> int:
    """A JSON integer in [low, high]; like JSON Schema, 2.0 is the integer 2, and true is no integer."""
    value = _present(obj, prop)
    whole = type(value) is int or (type(value) is float and value.is_integer())
    if not whole or not low <= value <= high:
        _fail(obj, f"'{prop}' must be an integer from {low:,} to {high:,}, not {value!r}")
    return value


def _boolean(obj: dict, prop: str) -> bool:
    value = _present(obj, prop)
    if type(value) is not bool:
        _fail(obj, f"'{prop}' must be true or false, not {value!r}")
    return value


def _identifier(obj: dict, prop: str, value: object, prefix: str = "") -> None:
    if type(value) is not str or not _IDENTIFIER_RE.fullmatch(value) or not value.startswith(prefix):
        expected = f"a {prefix[:-2]} identifier" if prefix else "an identifier <type>--<UUID>"
        _fail(obj, f"'{prop}' must be {expected}, not {value!r}")


def _identifiers(obj: dict, prop: str, prefix: str = "") -> None:
    values = obj[prop]
    if type(values) is not list or not values:
        _fail(obj, f"'{prop}' must be a non-empty array of identifiers, not {_what(values)}")
    for i, value in enumerate(values):
        _identifier(obj, f"{prop}[{i}]", value, prefix)


def _ordered(obj: dict, earlier: str, later: str, *, strict: bool = False) -> None:
    """Check the optional timestamps ``earlier`` and ``later`` and, when both are there, their order."""
    first = _timestamp(obj, earlier) if earlier in obj else None
    last = _timestamp(obj, later) if later in obj else None
    if first and last and (last < first or (strict and last == first)):
        relation = "later than" if strict else "later than or equal to"
        _fail(obj, f"'{later}' ({obj[later]}) must be {relation} '{earlier}' ({obj[earlier]})")


def _optional_timestamps(obj: dict, *props: str) -> None:
    for prop in props:
        if prop in obj:
            _timestamp(obj, prop)


def _named(obj: dict) -> None:
    _string(obj, "name")


def _incident(obj: dict) -> None:
    """§4.6 requires only a name; the Incident Core extension, when present, is checked too."""
    _string(obj, "name")
    extensions = obj.get("extensions")
    core = extensions.get(INCIDENT_CORE) if type(extensions) is dict else None
    if core is None:
        return
    where = "incident-core extension"
    if type(core) is not dict or core.get("extension_type") != "property-extension":
        _fail(obj, f"{where}: 'extension_type' must be 'property-extension'")
    if core.get("determination") not in _DETERMINATIONS:
        _fail(obj, f"{where}: 'determination' must be one of {', '.join(sorted(_DETERMINATIONS))}, "
                   f"not {core.get('determination')!r}")
    if type(core.get("investigation_status")) is not str:
        _fail(obj, f"{where}: 'investigation_status' is required and must be a string")
    criticality = core.get("criticality", 0)
    if type(criticality) is not int or not 0 <= criticality <= 100:
        _fail(obj, f"{where}: 'criticality' must be an integer from 0 to 100, not {criticality!r}")
    if core.get("recoverability", "regular") not in _RECOVERABILITY:
        _fail(obj, f"{where}: 'recoverability' must be one of {', '.join(sorted(_RECOVERABILITY))}")
    types = core.get("incident_types", ["-"])
    if type(types) is not list or not types or not all(type(t) is str for t in types):
        _fail(obj, f"{where}: 'incident_types' must be a non-empty array of strings")


def _indicator(obj: dict) -> None:
    pattern = _string(obj, "pattern")
    pattern_type = _string(obj, "pattern_type")
    _timestamp(obj, "valid_from")
    _ordered(obj, "valid_from", "valid_until", strict=True)  # §4.7: valid_until MUST be later
    # §4.7: pattern_type is an open vocabulary; only the STIX language is
    # checked here, yara/sigma/snort/suricata/pcre/spl... are kept as written.
    if pattern_type == "stix":
        errors = pattern_errors(pattern)
        if errors:
            _fail(obj, f"'pattern' is not a valid STIX pattern: {'; '.join(errors)}")


def _malware(obj: dict) -> None:
    if _boolean(obj, "is_family"):
        _string(obj, "name")  # §4.10: name is required when is_family is true
    _ordered(obj, "first_seen", "last_seen")


def _observed_data(obj: dict) -> None:
    _timestamp(obj, "first_observed")
    _timestamp(obj, "last_observed")
    _ordered(obj, "first_observed", "last_observed")
    _integer(obj, "number_observed", 1, _MAX_COUNT)
    # §4.14: exactly one of object_refs and the deprecated objects dictionary.
    if ("object_refs" in obj) == ("objects" in obj):
        _fail(obj, "observed-data must have exactly one of 'object_refs' and the deprecated 'objects'")
    if "objects" in obj and (type(obj["objects"]) is not dict or not obj["objects"]):
        _fail(obj, f"'objects' must be a non-empty object of cyber-observables, not {_what(obj['objects'])}")


def _relationship(obj: dict) -> None:
    _string(obj, "relationship_type")
    _present(obj, "source_ref")
    _present(obj, "target_ref")
    _ordered(obj, "start_time", "stop_time", strict=True)


def _sighting(obj: dict) -> None:
    _present(obj, "sighting_of_ref")
    if "count" in obj:
        _integer(obj, "count", 0, _MAX_COUNT)
    _ordered(obj, "first_seen", "last_seen")


def _report(obj: dict) -> None:
    _string(obj, "name")
    _timestamp(obj, "published")
    _present(obj, "object_refs")


def _with_refs(*required: str):
    def check_type(obj: dict) -> None:
        for prop in required:
            _string(obj, prop)
        _present(obj, "object_refs")

    return check_type


def _seen(obj: dict) -> None:
    _string(obj, "name")
    _ordered(obj, "first_seen", "last_seen")


def _malware_analysis(obj: dict) -> None:
    _string(obj, "product")
    _ordered(obj, "analysis_started", "analysis_ended")
    _optional_timestamps(obj, "submitted")


def _location(obj: dict) -> None:
    # §4.8: at least one of region, country, or latitude with longitude.
    if not ("region" in obj or "country" in obj or ("latitude" in obj and "longitude" in obj)):
        _fail(obj, "location needs 'region', 'country', or 'latitude' and 'longitude'")


def _observable_value(prop: str):
    def check_type(obj: dict) -> None:
        _present(obj, prop)

    return check_type


def _marking_definition(obj: dict) -> None:
    # §7.2.1: a definition_type with its definition, or an extension (TLP 2.0).
    if "extensions" not in obj and not ("definition_type" in obj and "definition" in obj):
        _fail(obj, "marking-definition needs 'definition_type' with 'definition', or 'extensions'")


def _language_content(obj: dict) -> None:
    _present(obj, "object_ref")
    _optional_timestamps(obj, "object_modified")
    if type(_present(obj, "contents")) is not dict:
        _fail(obj, "'contents' must be an object keyed by language code")


def _extension_definition(obj: dict) -> None:
    for prop in ("name", "schema", "version"):
        _string(obj, prop)
    if type(_present(obj, "extension_types")) is not list:
        _fail(obj, "'extension_types' must be an array")


_TYPE_CHECKS = {
    "attack-pattern": _named,
    "campaign": _seen,
    "course-of-action": _named,
    "grouping": _with_refs("context"),
    "identity": _named,
    "incident": _incident,
    "indicator": _indicator,
    "infrastructure": _seen,
    "intrusion-set": _seen,
    "location": _location,
    "malware": _malware,
    "malware-analysis": _malware_analysis,
    "note": _with_refs("content"),
    "observed-data": _observed_data,
    "opinion": _with_refs("opinion"),
    "report": _report,
    "threat-actor": _seen,
    "tool": _named,
    "vulnerability": _named,
    "relationship": _relationship,
    "sighting": _sighting,
    "autonomous-system": lambda obj: _integer(obj, "number", 0, 2**32 - 1),
    "directory": _observable_value("path"),
    "domain-name": _observable_value("value"),
    "email-addr": _observable_value("value"),
    "ipv4-addr": _observable_value("value"),
    "ipv6-addr": _observable_value("value"),
    "mac-addr": _observable_value("value"),
    "mutex": _observable_value("name"),
    "network-traffic": _observable_value("protocols"),
    "software": _observable_value("name"),
    "url": _observable_value("value"),
    "marking-definition": _marking_definition,
    "language-content": _language_content,
    "extension-definition": _extension_definition,
}


def _type(obj: dict) -> str:
    kind = obj.get("type")
    if kind is None:
        _fail(obj, "'type' is missing")
    if type(kind) is not str:
        _fail(obj, f"'type' must be a string, not {_what(kind)}")
    if kind in _TYPE_CHECKS or kind in SCO_TYPES:
        return kind
    if kind == "bundle":
        _fail(obj, "a bundle cannot be an object inside a bundle or envelope")
    if not 3 <= len(kind) <= 250 or not _TYPE_NAME_RE.fullmatch(kind):
        _fail(obj, f"'type' {kind!r} is not a STIX type name: 3-250 characters a-z, 0-9 and single hyphens, "
                   "starting with a letter and not ending with a hyphen")
    return kind


def _is_observable(kind: str, obj: dict) -> bool:
    """SCOs: the §6 types, and custom types defined by a ``new-sco`` extension (§7.3)."""
    if kind in SCO_TYPES:
        return True
    extensions = obj.get("extensions")
    return type(extensions) is dict and any(
        type(ext) is dict and ext.get("extension_type") == "new-sco" for ext in extensions.values()
    )


def _references_and_lists(obj: dict) -> None:
    """§2.9: ``*_ref`` holds an identifier, ``*_refs`` a list of them; §2.6: no empty list."""
    for prop, value in obj.items():
        if value == []:
            _fail(obj, f"'{prop}' is an empty array; STIX 2.1 forbids empty lists (omit the property)")
        if "_ref" in prop:  # cheap filter first: this runs for every property of every object
            if prop[-4:] == "_ref":
                _identifier(obj, prop, value)
            elif prop[-5:] == "_refs":
                _identifiers(obj, prop, _REF_PREFIXES.get(prop, ""))


def check(obj: object) -> StixObject:
    """Validate one STIX 2.1 object and return it with its key properties; raise StixObjectError otherwise.

    STIX 2.0 objects (no ``spec_version``) are refused; see ``upgrade_20``.
    """
    if type(obj) is not dict:
        raise StixObjectError(f"a STIX object must be a JSON object, not {_what(obj)}")
    kind = _type(obj)
    ident = obj.get("id")
    if type(ident) is not str:
        _fail(obj, "'id' is missing" if ident is None else f"'id' must be a string, not {_what(ident)}")
    if not (ident.startswith(kind) and ident[len(kind):len(kind) + 2] == "--"):
        _fail(obj, f"'id' {ident!r} must start with the object's type: '{kind}--'")
    if not _UUID_RE.fullmatch(ident, len(kind) + 2):
        _fail(obj, f"'id' {ident!r} must end in an RFC 4122 UUID (8-4-4-4-12 hex digits, version 1-5)")

    observable = _is_observable(kind, obj)
    spec_version = obj.get("spec_version")
    if spec_version != "2.1":
        if spec_version is None and not observable:
            _fail(obj, "'spec_version' is missing: objects without it are STIX 2.0, and only STIX 2.1 is accepted")
        if spec_version is not None:  # §3.2: SCOs without spec_version are 2.1
            _fail(obj, f"'spec_version' is {spec_version!r}; only '2.1' is accepted")

    created = modified = None
    if kind == "marking-definition":  # §7.2.1: created only, not versioned
        created = _timestamp(obj, "created")
    elif not observable:  # §3.2: created and modified to the millisecond
        created = _timestamp(obj, "created", millis=True)
        modified = _timestamp(obj, "modified", millis=True)
        if modified < created:
            _fail(obj, f"'modified' ({obj['modified']}) is earlier than 'created' ({obj['created']})")

    revoked = obj.get("revoked", False)
    if type(revoked) is not bool:
        _fail(obj, f"'revoked' must be true or false, not {revoked!r}")
    if "confidence" in obj:
        _integer(obj, "confidence", 0, 100)
    _references_and_lists(obj)
    type_check = _TYPE_CHECKS.get(kind)
    if type_check is not None:
        type_check(obj)

    return StixObject(
        id=ident,
        type=kind,
        spec_version="2.1",
        version=modified or created,
        created=created,
        modified=modified,
        revoked=revoked,
        object_marking_refs=tuple(obj.get("object_marking_refs", ())),
        raw=obj,
    )


def upgrade_20(obj: Any) -> Any:
    """Read a STIX 2.0 object as 2.1, for loaders of known-good 2.0 data such as MITRE ATT&CK.

    Sets ``spec_version``, ``is_family`` on malware (2.0 malware entries are
    families) and ``pattern_type`` on indicators (2.0 had only STIX patterns).
    Objects that already declare a ``spec_version``, and non-objects, are
    returned as they are; the input is never modified.
    """
    if type(obj) is not dict or "spec_version" in obj:
        return obj
    upgraded = {**obj, "spec_version": "2.1"}
    if obj.get("type") == "malware":
        upgraded.setdefault("is_family", True)
    elif obj.get("type") == "indicator":
        upgraded.setdefault("pattern_type", "stix")
    return upgraded
