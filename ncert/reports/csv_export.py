"""The KPI cards and the risk register as CSV (RFC 4180, with a header row).

A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is
prefixed with an apostrophe so a spreadsheet never runs it as a formula
(OWASP, https://owasp.org/www-community/attacks/CSV_Injection).

The header row is the columns' keys, the same in every language (issue 14): the
exports are read by scripts and spreadsheet lookups by these names
(tests/test_quarterly_report.py reads them so), and the cells hold data and the
vocabularies' keys, as the REST API gives them.
"""

from __future__ import annotations

import csv
import io

from ncert.models import Risk
from ncert.services import kpi

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if isinstance(value, float):
        return round(value, 3)  # durations are computed in floating point: no false precision
    return "" if value is None else value


def _write(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe(v) for v in row])
    return out.getvalue()


def kpi_cards(cards: list[kpi.Card]) -> str:
    """One row per card and figure: value, previous value, target and status."""
    header = ["card", "slug", "name", "period", "previous_period", "kpi", "label", "unit", "value", "count",
              "previous", "target", "amber", "target_source", "status", "responsible"]
    return _write(header, ([c.kind, c.slug, c.name, c.period.label, c.previous_period.label, f.key, f.label, f.unit,
                            f.value, f.count, f.previous, f.target.target if f.target else None,
                            f.target.amber if f.target else None, f.target.source if f.target else None, f.status,
                            c.responsible.name if c.responsible else None]
                           for c in cards for f in c.figures))


def register(risks: list[Risk]) -> str:
    """One row per risk: owner, scope, status, the three assessed levels and the treatment."""
    levels = ("inherent", "current", "residual")
    header = ["reference", "title", "status", "owner", "owner_person", "sectors", "threat", "attack",
              *(f"{level}_{part}" for level in levels for part in ("likelihood", "impact", "level")),
              "treatment", "next_review_on", "version", "updated_at"]

    def row(r: Risk) -> list:
        owner = r.owner_org or r.owner_team
        scores = [(r.assessment or {}).get(level, {}).get(part) for level in levels
                  for part in ("likelihood", "impact", "level")]
        return [r.reference, r.title, r.status, owner.slug if owner else None, r.owner_person, " ".join(r.sectors),
                " ".join(r.threat.get("rsit", [])), " ".join(r.threat.get("attack", [])), *scores,
                (r.treatment or {}).get("strategy"), r.next_review_on, r.version, r.updated_at.isoformat()]

    return _write(header, (row(r) for r in risks))
