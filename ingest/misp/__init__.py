"""MISP intake and export: load events with PyMISP, map them to ncert records, render events and feeds.

Pure: no database access, no web code. ``tags`` reads and writes TLP and RSIT
tags, ``attributes`` maps attribute types to indicator types, and ``mapping``
turns a ``pymisp.MISPEvent`` into an ``IncidentRecord`` (and back into MISP
JSON and feed files).
"""

from .attributes import indicator_pairs, misp_type_of
from .mapping import (
    MispEventError,
    event_record,
    event_version,
    feed_event,
    feed_files,
    indicator_values,
    is_deleted,
    load_event,
    render_event,
    sighting_counts,
)
from .tags import category_of_tags, rsit_tag, tlp_of_tags, tlp_tag

__all__ = [
    "MispEventError", "category_of_tags", "event_record", "event_version", "feed_event", "feed_files",
    "indicator_pairs", "indicator_values", "is_deleted", "load_event", "misp_type_of", "render_event", "rsit_tag",
    "sighting_counts", "tlp_of_tags", "tlp_tag",
]
