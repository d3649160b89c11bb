"""STIX 2.1 intake: read bundles and TAXII envelopes, validate objects, map them to ncert records.

Pure: no database access. ``reader`` streams objects out of a document,
``validate.check`` accepts or refuses one object with a precise reason,
``mapping`` turns checked objects into ``IndicatorRecord`` and
``IncidentRecord`` values, ``tlp`` reads and writes TLP markings, and
``patterns`` validates indicator patterns and extracts simple observables.
"""

from .mapping import (
    category_for,
    incident_record,
    indicator_records,
    is_incident,
    observable_pairs,
    observed_indicators,
    sighting_counts,
)
from .patterns import pattern_errors, simple_observables
from .reader import StixDocumentError, iter_objects, objects_of
from .tlp import marking_definition, tlp_of
from .validate import StixObject, StixObjectError, check, upgrade_20

__all__ = [
    "StixDocumentError", "StixObject", "StixObjectError", "category_for", "check", "incident_record",
    "indicator_records", "is_incident", "iter_objects", "marking_definition", "objects_of", "observable_pairs",
    "observed_indicators", "pattern_errors", "sighting_counts", "simple_observables", "tlp_of", "upgrade_20",
]
