"""What checked STIX objects mean in ncert's terms, as normalised records.

Pure functions: no database, no identities of submitters. Referenced objects
come from ``refs``, a mapping of id → raw object that the caller builds (for
example, from the same bundle or from storage). Revoked objects (§3.6) mean
nothing any more and map to no records.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from datetime import datetime
from typing import Any

from ncert.observables import normalise
from ncert.records import IncidentRecord, IndicatorRecord
from ncert.taxonomy import TLP

from .categories import SECTOR_FOR_INDUSTRY, category_for, severity_for
from .patterns import VALUE_TYPES, hash_kind, observable_values
from .timestamps import parse_timestamp
from .tlp import tlp_of
from .validate import INCIDENT_CORE, SCO_TYPES, StixObject, StixObjectError, check

DEFAULT_CONFIDENCE = 50  # STIX 2.1 Appendix A: 50 is "Moderate"
DEFAULT_TLP = TLP.AMBER
# IncidentRecord's limits on description, indicators and affected_sectors.
_MAX_DESCRIPTION = 100_000
_MAX_INDICATORS = 10_000
_MAX_SECTORS = 64


IndicatorValue = tuple[str, str, int, datetime, datetime]  # type, value, confidence, first seen, last seen


def indicator_values(obj: StixObject) -> list[IndicatorValue]:
    """The observables of an indicator with a simple STIX pattern (§4.7), as plain
    tuples for the bulk path; empty for any other pattern.

    Confidence is the indicator's or 50; ``first_seen`` is ``valid_from`` and
    ``last_seen`` is ``valid_until``, else ``modified`` (never before
    ``first_seen``). Values are normalised; check() has bounded the rest.
    """
    raw = obj.raw
    if obj.type != "indicator" or obj.revoked or raw["pattern_type"] != "stix":
        return []
    pairs = observable_values(raw["pattern"])
    if not pairs:
        return []
    first = parse_timestamp(raw["valid_from"])
    last = max(first, parse_timestamp(raw["valid_until"]) if "valid_until" in raw else obj.modified)
    confidence = raw.get("confidence", DEFAULT_CONFIDENCE)
    values: dict[tuple[str, str], IndicatorValue] = {}
    for kind, value in pairs:
        try:
            value = normalise(kind, value)
        except ValueError:  # a value that does not normalise: not a simple pattern after all
            return []
        values.setdefault((kind, value), (kind, value, confidence, first, last))
    return list(values.values())


def indicator_records(obj: StixObject) -> list[IndicatorRecord]:
    """``indicator_values`` as IndicatorRecords (already valid, so not re-validated)."""
    return [IndicatorRecord.model_construct(type=kind, value=value, confidence=confidence, count=1,
                                            first_seen=first, last_seen=last)
            for kind, value, confidence, first, last in indicator_values(obj)]


def observable_pairs(sco: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(indicator type, normalised value) pairs of one cyber-observable (§6).

    ``value`` of ipv4-addr, ipv6-addr, domain-name, url and email-addr, and the
    MD5/SHA-1/SHA-256/SHA-512 ``hashes`` of a file; values that do not
    normalise are left out.
    """
    kind = sco.get("type")
    if kind in VALUE_TYPES:
        candidates = [(kind, sco.get("value"))]
    elif kind == "file" and isinstance(sco.get("hashes"), dict):
        candidates = [(hash_kind(key), value) for key, value in sco["hashes"].items()]
    else:
        return []
    pairs = []
    for indicator_type, value in candidates:
        if indicator_type and isinstance(value, str):
            try:
                pairs.append((indicator_type, normalise(indicator_type, value)))
            except ValueError:
                continue
    return pairs


def observed_indicators(obj: StixObject, refs: Mapping[str, Mapping[str, Any]]) -> list[IndicatorRecord]:
    """The observables of an observed-data object (§4.14) as indicators seen ``number_observed`` times.

    Observables are the SCOs of ``object_refs`` found in ``refs``, or those of
    the deprecated embedded ``objects``.
    """
    raw = obj.raw
    if obj.type != "observed-data" or obj.revoked:
        return []
    if "objects" in raw:
        scos: Iterable[Any] = raw["objects"].values()
    else:
        scos = (refs[ref] for ref in raw["object_refs"] if ref in refs)
    pairs = dict.fromkeys(pair for sco in scos if isinstance(sco, Mapping) for pair in observable_pairs(sco))
    first, last = parse_timestamp(raw["first_observed"]), parse_timestamp(raw["last_observed"])
    confidence = raw.get("confidence", DEFAULT_CONFIDENCE)
    return [
        IndicatorRecord(type=kind, value=value, confidence=confidence, count=raw["number_observed"],
                        first_seen=first, last_seen=last)
        for kind, value in pairs
    ]


def sighting_counts(obj: StixObject) -> tuple[str, int, datetime | None, datetime | None]:
    """(sighting_of_ref, count, first_seen, last_seen) of a sighting (§5.2).

    ``count`` is the sighting's own, or 1 when absent (the sighting itself);
    STIX allows 0.
    """
    if obj.type != "sighting":
        raise ValueError(f"{obj.id} is not a sighting")
    raw = obj.raw
    first = parse_timestamp(raw["first_seen"]) if "first_seen" in raw else None
    last = parse_timestamp(raw["last_seen"]) if "last_seen" in raw else None
    return raw["sighting_of_ref"], raw.get("count", 1), first, last


def is_incident(obj: StixObject) -> bool:
    """An ``incident`` (§4.6), or a ``report`` (§4.16) whose report_types include "incident"."""
    if obj.type == "incident":
        return True
    return obj.type == "report" and "incident" in (obj.raw.get("report_types") or ())


def incident_record(
    obj: StixObject,
    refs: Mapping[str, Mapping[str, Any]],
    *,
    known_sectors: Container[str] | None = None,
) -> IncidentRecord:
    """The IncidentRecord of an incident, or of an incident report (see ``is_incident``).

    - title and description from ``name`` and ``description``; TLP from the
      markings, TLP:AMBER when unmarked; ``external_ids={"stix": id}``;
    - with the Incident Core extension: category from ``incident_types``,
      severity from ``criticality`` (``categories.severity_for``), and
      determination, investigation status and recoverability appended to the
      description, since the record has no fields for them;
    - otherwise the category comes from ``labels`` and from the malware_types
      of referenced malware;
    - ``occurred_at`` is a ``first_seen`` property when present; ``aware_at``
      is ``created``: the reporter knew of it at the latest when recording it;
    - indicators: the simple indicators, observed-data observables and SCOs
      among ``object_refs`` that ``refs`` resolves and that are valid;
    - affected sectors: the ``sectors`` of referenced identities mapped by
      ``categories.SECTOR_FOR_INDUSTRY``, kept only if in ``known_sectors``
      when that is given.

    Links made by relationship objects are not followed here.
    """
    if not is_incident(obj):
        raise ValueError(f"{obj.id} is not an incident or an incident report")
    raw = obj.raw
    extensions = raw.get("extensions")
    core = extensions.get(INCIDENT_CORE, {}) if isinstance(extensions, dict) else {}
    referenced = [refs[ref] for ref in raw.get("object_refs", ()) if ref in refs]
    malware_types = [t for ref in referenced if ref.get("type") == "malware" for t in _strings(ref, "malware_types")]

    occurred = _optional_timestamp(raw.get("first_seen"))
    return IncidentRecord(
        title=(raw["name"].strip() or f"{obj.type} {obj.id}")[:300],
        description=_description(raw, core),
        category=category_for([*_strings(core, "incident_types"), *_strings(raw, "labels"), *malware_types]),
        severity=severity_for(core["criticality"]) if "criticality" in core else None,
        tlp=tlp_of(obj) or DEFAULT_TLP,
        affected_sectors=_sectors(referenced, known_sectors),
        occurred_at=occurred,
        aware_at=obj.created if occurred is None or occurred <= obj.created else None,
        external_ids={"stix": obj.id},
        indicators=_referenced_indicators(referenced, refs),
    )


def _strings(obj: Mapping[str, Any], prop: str) -> list[str]:
    values = obj.get(prop)
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def _optional_timestamp(value: Any) -> datetime | None:
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


def _description(raw: Mapping[str, Any], core: Mapping[str, Any]) -> str:
    text = raw.get("description") if isinstance(raw.get("description"), str) else ""
    if not core:
        return text[:_MAX_DESCRIPTION]
    facts = [f"determination {core['determination']}", f"investigation status {core['investigation_status']}"]
    if "recoverability" in core:
        facts.append(f"recoverability {core['recoverability']}")
    footer = "STIX incident-core: " + "; ".join(facts) + "."
    return (text[: _MAX_DESCRIPTION - len(footer) - 2] + "\n\n" + footer) if text else footer


def _referenced_indicators(referenced: list[Mapping[str, Any]], refs: Mapping[str, Any]) -> list[IndicatorRecord]:
    found: dict[tuple[str, str], IndicatorRecord] = {}
    for ref in referenced:
        try:
            stix = check(ref)
        except StixObjectError:
            continue
        if stix.type == "indicator":
            records = indicator_records(stix)
        elif stix.type == "observed-data":
            records = observed_indicators(stix, refs)
        elif stix.type in SCO_TYPES:
            records = [IndicatorRecord(type=kind, value=value) for kind, value in observable_pairs(ref)]
        else:
            continue
        for record in records:
            found.setdefault((record.type, record.value), record)
    return list(found.values())[:_MAX_INDICATORS]


def _sectors(referenced: list[Mapping[str, Any]], known: Container[str] | None) -> list[str]:
    slugs = dict.fromkeys(
        SECTOR_FOR_INDUSTRY[sector]
        for ref in referenced if ref.get("type") == "identity"
        for sector in _strings(ref, "sectors") if sector in SECTOR_FOR_INDUSTRY
    )
    return [slug for slug in slugs if known is None or slug in known][:_MAX_SECTORS]
