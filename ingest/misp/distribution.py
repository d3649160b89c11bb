"""MISP distribution levels ↔ ncert audiences (TLP labels).

MISP's levels (https://www.misp-project.org/datamodels/, "distribution"):
0 your organisation only, 1 this community only, 2 connected communities,
3 all communities, 4 a sharing group, 5 inherit the event's (attributes and
objects). ncert has one community, the national constituency, whose label is
TLP:GREEN (README "Who sees what"), and the national centre receives every
report. A distribution is therefore the least strict label the sender allows:

- 0 → TLP:AMBER: under ncert.access an AMBER report of one organisation is seen
  by that organisation and the national centre only, which is "your organisation
  only" once reported; it is also the label ``mapping.DISTRIBUTION_FOR_TLP`` renders
  as 0, so events read back as they were rendered;
- 1, 2 → TLP:GREEN: the national constituency, never international partners;
- 3 → no limit beyond the event's ``tlp:`` tag;
- 4 → TLP:AMBER: ncert has no sharing groups, so the narrowest audience, as 0;
- 5 or absent → the enclosing event's or object's.

The mapping itself is ``ncert.access.LABEL_FOR_MISP_DISTRIBUTION``, with the
other visibility rules. The incident takes the stricter of its ``tlp:`` tag and this limit; an attribute
or object stricter than its event stays on the MISP event only (its organisation
and national staff see it) and never reaches the shared incident.
"""

from __future__ import annotations

from typing import Any

from ncert.access import LABEL_FOR_MISP_DISTRIBUTION as TLP_FOR_DISTRIBUTION
from ncert.taxonomy import TLP

INHERIT = 5


def distribution_of(value: Any) -> int | None:
    """A distribution level 0-5 from MISP JSON (an int or a digit string); None if absent or not one."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= INHERIT else None


def tlp_limit(distribution: Any) -> TLP | None:
    """The least strict label ``distribution`` allows; None when it sets no limit."""
    return TLP_FOR_DISTRIBUTION.get(distribution_of(distribution))


def stricter(*labels: TLP | None) -> TLP | None:
    """The most restrictive of ``labels``, ignoring None."""
    found = [label for label in labels if label is not None]
    return max(found, key=lambda label: label.rank) if found else None


def narrower(attribute: Any, enclosing: Any = None) -> int:
    """The distribution of an attribute inside its object (``enclosing``): the stricter of the two,
    5 (the event's) when neither sets one."""
    levels = [d for d in (distribution_of(attribute), distribution_of(enclosing)) if d is not None and d != INHERIT]
    if not levels:
        return INHERIT
    return max(levels, key=lambda d: (tlp_limit(d) or TLP.CLEAR).rank)
