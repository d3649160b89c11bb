"""TLP marking definitions in STIX 2.1, both generations, read as TLP 2.0 labels.

TLP 1.0: the four predefined marking definitions of STIX 2.1 §7.2.1.4 (the
``stix2.TLP_*`` objects). TLP 2.0: the five fixed marking definitions of the
OASIS TLP 2.0 extension (cti-stix-common-objects,
``extension-definition-specifications/tlp-2.0``), all created
2022-10-01T00:00:00.000Z. FIRST TLP 2.0 replaced WHITE with CLEAR
(https://www.first.org/tlp/), so TLP 1.0 WHITE reads as TLP:CLEAR.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ncert.taxonomy import TLP

from .validate import StixObject

TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"

TLP2_MARKINGS: dict[TLP, str] = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP1_MARKINGS: dict[str, TLP] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP.CLEAR,  # TLP:WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLP.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLP.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLP.RED,
}
MARKING_TLP: dict[str, TLP] = {**{ref: tlp for tlp, ref in TLP2_MARKINGS.items()}, **TLP1_MARKINGS}


def tlp_of(obj: StixObject | Mapping[str, Any]) -> TLP | None:
    """The most restrictive TLP among the object's ``object_marking_refs``; None if it has none.

    Takes a checked ``StixObject`` or a raw object. Granular markings, which
    mark single properties, are not read.
    """
    refs = obj.object_marking_refs if isinstance(obj, StixObject) else obj.get("object_marking_refs") or ()
    found = [MARKING_TLP[ref] for ref in refs if ref in MARKING_TLP]
    return max(found, key=lambda tlp: tlp.rank) if found else None


def marking_definition(tlp: TLP) -> dict[str, Any]:
    """The canonical TLP 2.0 marking-definition object for ``tlp``, for export."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_MARKINGS[tlp],
        "created": TLP2_CREATED,
        "name": tlp.value,
        "extensions": {
            TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": tlp.value.removeprefix("TLP:").lower()},
        },
    }
