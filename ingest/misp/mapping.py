"""MISP events ↔ ncert records, and MISP feed files.

Pure: no database, no web. Events are ``pymisp.MISPEvent`` values; field
meanings follow the MISP core format (https://www.misp-project.org/datamodels/,
RFC draft "MISP core format") and PyMISP ``mispevent.py``:
``threat_level_id`` 1 High, 2 Medium, 3 Low, 4 Undefined; ``to_ids`` marks
an attribute for detection; sightings of ``type`` "0" are sightings, "1"
false positives and "2" expirations.
"""

from __future__ import annotations

import copy
import json
import uuid as uuidlib
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timezone
from typing import Any

from pymisp import MISPAttribute, MISPEvent, MISPOrganisation

from ncert.records import Category, IncidentRecord, IndicatorRecord
from ncert.taxonomy import TLP

from .attributes import indicator_pairs, misp_type_of
from .distribution import narrower, stricter, tlp_limit
from .screening import MispEventError, screen_event
from .tags import TLP_COLOURS, TLP_FOR_TAG, category_of_tags, rsit_tag, tlp_of_tags, tlp_tag

DEFAULT_TLP = TLP.AMBER
# threat_level_id → ncert severity hint (SEVERITY_LEVELS): High 3, Medium 2,
# Low 1; Undefined gives no hint. Levels 4-5 are national decisions.
SEVERITY_FOR_THREAT_LEVEL: dict[int, int | None] = {1: 3, 2: 2, 3: 1, 4: None}
# IncidentRecord's limits; the context summary is kept short on purpose.
_MAX_INDICATORS = 10_000
_MAX_CONTEXT = 50
_MAX_CONTEXT_VALUE = 200


def load_event(data: Any) -> MISPEvent:
    """A MISPEvent from MISP JSON: ``{"Event": {...}}`` or the bare event dict, as a dict, str or bytes.

    Invalid attributes and objects are left out and attachment data is never read
    (``screening.screen_event``). The caller's dict is not modified. Raises
    MispEventError when the event itself is invalid (no ``info``, a bad enumeration...).
    """
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise MispEventError(f"not a valid MISP event: {exc}") from None
    return screen_event(data, attachment_max_bytes=None).event


def _flag(value: Any) -> bool:
    """MISP booleans arrive as true/false, 0/1 or "0"/"1"."""
    return value is True or (isinstance(value, (int, str)) and str(value).strip().lower() in ("1", "true"))


def is_deleted(event: MISPEvent) -> bool:
    """Whether the event carries MISP's soft-delete flag ``deleted``."""
    return _flag(event.get("deleted"))


def event_version(event: MISPEvent) -> int | None:
    """The event ``timestamp`` (last change) as epoch seconds; None when absent.

    An absent timestamp is what a new event pushed by PyMISP carries: MISP then
    stamps it with the time of receipt (``Event::_edit``), and so should the caller.
    """
    stamp = event.get("timestamp")
    return int(stamp.timestamp()) if isinstance(stamp, datetime) else None


def _live_attributes(event: MISPEvent, within: TLP | None = None) -> Iterator[MISPAttribute]:
    """Attributes of the event and of its objects, leaving out deleted ones and those of deleted objects;
    with ``within``, also those whose distribution is stricter than that label (``distribution``)."""
    def shared(attribute: MISPAttribute, obj: Any = None) -> bool:
        limit = tlp_limit(narrower(attribute.get("distribution"), obj.get("distribution") if obj else None))
        return within is None or limit is None or limit.rank <= within.rank

    yield from (a for a in event.attributes if not _flag(a.get("deleted")) and shared(a))
    for obj in event.objects:
        if not _flag(obj.get("deleted")):
            yield from (a for a in obj.attributes if not _flag(a.get("deleted")) and shared(a, obj))


def _sightings(attribute: MISPAttribute) -> tuple[int, datetime | None]:
    """(number of sightings proper, time of the last one) of an attribute."""
    count, last = 0, None
    for sighting in attribute.sightings:
        if str(sighting.get("type", "0")) != "0":
            continue
        count += 1
        stamp = _epoch(sighting.get("date_sighting") or sighting.get("timestamp"))
        if stamp and (last is None or stamp > last):
            last = stamp
    return count, last


def _epoch(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        return datetime.fromtimestamp(int(value), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _seen(attribute: MISPAttribute) -> tuple[datetime | None, datetime | None]:
    first, last = (attribute.get(key) for key in ("first_seen", "last_seen"))
    first, last = (v.astimezone(timezone.utc) if isinstance(v, datetime) and v.tzinfo else None for v in (first, last))
    return (first, last) if not (first and last and first > last) else (None, None)


IndicatorValue = tuple[str, str, int, datetime | None, datetime | None]  # type, value, count, first, last seen


def indicator_values(event: MISPEvent, within: TLP | None = None) -> list[IndicatorValue]:
    """The event's indicators: live ``to_ids`` attributes whose values normalise, one per (type, value);
    with ``within``, only attributes whose distribution allows that label.

    ``count`` is the number of sightings, at least 1 (the report itself);
    first and last seen are the attribute's ``first_seen``/``last_seen``.
    Not capped: large events are the bulk path's to store.
    """
    found: dict[tuple[str, str], IndicatorValue] = {}
    for attribute in _live_attributes(event, within):
        if not attribute.to_ids:
            continue
        sighted, _ = _sightings(attribute)
        first, last = _seen(attribute)
        for kind, value in indicator_pairs(attribute.type, attribute.value):
            previous = found.get((kind, value))
            count = max(1, sighted + (previous[2] if previous else 0))
            found[(kind, value)] = (kind, value, count, *(previous[3:] if previous else (first, last)))
    return list(found.values())


def sighting_counts(event: MISPEvent) -> list[tuple[str, str, int, datetime | None]]:
    """(indicator type, value, sightings, last sighting) for indicators with at least one sighting."""
    found: dict[tuple[str, str], tuple[int, datetime | None]] = {}
    for attribute in _live_attributes(event):
        if not attribute.to_ids:
            continue
        count, last = _sightings(attribute)
        if not count:
            continue
        for pair in indicator_pairs(attribute.type, attribute.value):
            before, before_last = found.get(pair, (0, None))
            found[pair] = (before + count, max(filter(None, (before_last, last)), default=None))
    return [(kind, value, count, last) for (kind, value), (count, last) in found.items()]


def _context(event: MISPEvent, indicators: set[tuple[str, str]], within: TLP) -> str:
    """A bounded "type: value" list of live attributes shared ``within`` the label that are not indicators."""
    lines, more = [], 0
    for attribute in _live_attributes(event, within):
        pairs = indicator_pairs(attribute.type, attribute.value) if attribute.to_ids else []
        if pairs and all(pair in indicators for pair in pairs):
            continue
        if len(lines) == _MAX_CONTEXT:
            more += 1
            continue
        value = str(attribute.value).replace("\x00", "\ufffd")  # our summary, not the reporter's text
        if len(value) > _MAX_CONTEXT_VALUE:
            value = value[:_MAX_CONTEXT_VALUE - 1] + "…"
        lines.append(f"- {attribute.type}: {value}")
    if not lines:
        return ""
    tail = [f"- and {more} more"] if more else []
    return "\n".join(["MISP attributes not taken as indicators:", *lines, *tail])


def event_record(event: MISPEvent) -> IncidentRecord:
    """The IncidentRecord of a MISP event.

    - title from ``info``; TLP from the event's ``tlp:`` tags (``tags.tlp_of_tags``),
      TLP:AMBER when untagged, made stricter by the event's ``distribution``
      (``distribution.tlp_limit``); category from ``rsit:``/``ecsirt:`` tags;
    - severity from ``threat_level_id`` (``SEVERITY_FOR_THREAT_LEVEL``);
    - ``occurred_at`` is the event ``date`` at 00:00 UTC;
      ``external_ids={"misp": uuid}``;
    - indicators from ``indicator_values``, the first 10,000; attribute tags
      are not read: the record has one TLP, the event's, and attributes or objects
      whose distribution is stricter than it are left out (they are not shared);
    - the description lists the other attributes (bounded) and how many
      indicators were left out, if any.

    Raises ValueError (pydantic's ValidationError) when IncidentRecord refuses
    the event's own text: a NUL character in ``info``, which no database text
    column can hold.
    """
    tlp = stricter(tlp_of_tags(event.tags) or DEFAULT_TLP, tlp_limit(event.get("distribution")))
    values = indicator_values(event, tlp)
    kept = values[:_MAX_INDICATORS]
    indicators = [
        IndicatorRecord.model_construct(type=kind, value=value, confidence=50, count=min(count, 1_000_000_000),
                                        first_seen=first, last_seen=last)
        for kind, value, count, first, last in kept
    ]
    description = _context(event, {(kind, value) for kind, value, *_ in values}, tlp)
    if len(values) > len(kept):
        description = f"{len(values) - len(kept)} more indicators are in the MISP event.\n\n" + description
    event_date = event.get("date")
    threat_level = event.get("threat_level_id")
    return IncidentRecord(
        title=(str(event.info).strip() or f"MISP event {event.uuid}")[:300],
        description=description.strip(),
        category=category_of_tags(event.tags),
        severity=SEVERITY_FOR_THREAT_LEVEL.get(int(threat_level)) if threat_level is not None else None,
        tlp=tlp,
        occurred_at=datetime.combine(event_date, time(), timezone.utc) if isinstance(event_date, date) else None,
        external_ids={"misp": str(event.uuid)},
        indicators=indicators,
    )


# TLP → MISP distribution: 0 your organisation only, 1 this community only,
# 3 all communities. The closest audience that does not exceed the label.
DISTRIBUTION_FOR_TLP: dict[TLP, int] = {
    TLP.CLEAR: 3, TLP.GREEN: 1, TLP.AMBER: 0, TLP.AMBER_STRICT: 0, TLP.RED: 0,
}


def threat_level_for(severity: int | None) -> int:
    """The inverse of SEVERITY_FOR_THREAT_LEVEL: 3+ High (1), 2 Medium (2), 0-1 Low (3), None Undefined (4)."""
    if severity is None:
        return 4
    return 1 if severity >= 3 else 2 if severity == 2 else 3


def render_event(
    *,
    title: str,
    uuid: str,
    date: date,
    tlp: TLP,
    timestamp: datetime,
    indicators: Iterable[tuple[str, str, bool]] = (),
    category: Category | None = None,
    severity: int | None = None,
    event_id: int | None = None,
    published: bool = False,
    org_name: str = "ncert",
    org_uuid: str | None = None,
) -> dict[str, Any]:
    """An ncert incident as MISP's API returns an event: ``{"Event": {...}}``.

    ``indicators`` are (ncert indicator type, value, to_ids) tuples, rendered
    with ``attributes.misp_type_of``; attribute UUIDs are derived from the
    event UUID and the value, so rendering twice gives the same document.
    Ids and epochs are strings, as MISP writes them; attribute ids are their
    positions in the event. ``analysis`` is 1 (ongoing), ``distribution`` comes
    from ``DISTRIBUTION_FOR_TLP`` and attributes inherit it (5).
    """
    stamp = str(int(timestamp.timestamp()))
    event = MISPEvent()
    event.from_dict(info=title, uuid=uuid, date=date, threat_level_id=threat_level_for(severity), analysis=1,
                    distribution=DISTRIBUTION_FOR_TLP[tlp], published=published)
    event.add_tag(name=tlp_tag(tlp), colour=TLP_COLOURS[tlp])
    if category is not None:
        event.add_tag(name=rsit_tag(category))
    for kind, value, to_ids in indicators:
        misp_type, misp_category = misp_type_of(kind)
        event.add_attribute(misp_type, value, category=misp_category, to_ids=to_ids, distribution=5,
                            uuid=str(uuidlib.uuid5(uuidlib.UUID(uuid), f"{misp_type}|{value}")))
    org = MISPOrganisation()
    org.from_dict(id="1", name=org_name, uuid=org_uuid or str(uuidlib.uuid5(uuidlib.NAMESPACE_DNS, org_name)))
    event.Orgc = org
    body = json.loads(event.to_json())
    for position, attribute in enumerate(body.get("Attribute", []), start=1):
        attribute.update(id=str(position), event_id=str(event_id or 0), timestamp=stamp, deleted=False,
                         object_id="0", comment="")
    body.update(id=str(event_id or 0), timestamp=stamp, publish_timestamp=stamp if published else "0",
                attribute_count=str(len(body.get("Attribute", []))), orgc_id="1", org_id="1",
                sharing_group_id="0", locked=False, proposal_email_lock=False, disable_correlation=False,
                extends_uuid="", Org=dict(body["Orgc"]), Attribute=body.get("Attribute", []),
                Object=[], Tag=body.get("Tag", []))
    return {"Event": body}


def _shared(event: MISPEvent) -> tuple[MISPEvent, list[int]]:
    """A feed drops distribution fields, so what they restrict must travel otherwise: (a copy of
    the event whose ``tlp:`` tag is the label its distribution gives, when that is stricter;
    the distributions a feed of that label may carry, for ``to_feed(valid_distributions=...)``)."""
    tagged = tlp_of_tags(event.tags) or DEFAULT_TLP
    label = stricter(tagged, tlp_limit(event.get("distribution")))
    if label is not tagged:
        event = copy.deepcopy(event)
        event.tags = [t for t in event.tags if t.name.lower() not in TLP_FOR_TAG]
        event.add_tag(name=tlp_tag(label), colour=TLP_COLOURS[label])
    return event, [d for d in range(6) if (tlp_limit(d) or TLP.CLEAR).rank <= label.rank]


def feed_event(event: MISPEvent) -> dict[str, Any]:
    """The ``<uuid>.json`` document of a MISP feed for ``event`` (PyMISP ``to_feed``); needs ``Orgc``.

    As in MISP's own feeds, attributes keep only their feed fields: no sightings, no
    distribution or sharing group. So a distribution stricter than the event's ``tlp:``
    tag becomes its TLP tag, and attributes and objects whose distribution is stricter
    than the event's are left out (``_shared``).
    """
    shared, valid = _shared(event)
    return shared.to_feed(valid_distributions=valid)


def feed_files(events: Iterable[MISPEvent]) -> tuple[dict[str, Any], str]:
    """(``manifest.json`` content, ``hashes.csv`` text) of a MISP feed of ``events``.

    As PyMISP's ``to_feed(with_meta=True)`` and ``tools.feed.feed_meta_generator``
    build them: the manifest maps each event UUID to its metadata, and
    hashes.csv has one ``md5(value),event_uuid`` line per attribute value
    (one per part of composite values). Every event needs ``Orgc``.
    """
    manifest: dict[str, Any] = {}
    lines: list[str] = []
    for event in events:
        shared, valid = _shared(event)
        feed = shared.to_feed(valid_distributions=valid, with_meta=True)["Event"]
        manifest.update(feed["_manifest"])
        lines.extend(f"{md5},{event.uuid}\n" for md5 in feed["_hashes"])
    return manifest, "".join(lines)
