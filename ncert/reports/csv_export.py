"""The KPI cards and the risk register as CSV (RFC 4180, with a header row).

A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is
prefixed with an apostrophe so a spreadsheet never runs it as a formula
(OWASP, https://owasp.org/www-community/attacks/CSV_Injection).

The header row names the columns in the reader's language (issue 14), a KPI
figure's label column too; with ``keys`` it is the columns' keys instead (``card``,
``kpi``, ``value``…), the same in every language, and the file is what it always
was, for scripts and spreadsheet lookups that read the columns by these names
(the console's ``?headers=keys``). The other cells hold data and the vocabularies'
keys, as the REST API gives them.
"""

from __future__ import annotations

import csv
import io

from flask_babel import gettext  # the request's language; English outside a request

from ncert.i18n import N_
from ncert.models import Risk
from ncert.reports import figures
from ncert.services import kpi

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if isinstance(value, float):
        return round(value, 3)  # durations are computed in floating point: no false precision
    return "" if value is None else value


# Each export's columns: key → name (marked for the catalogues), in the order written.
KPI_COLUMNS = {
    "card": N_("Card kind"), "slug": N_("Slug"), "name": N_("Name"), "period": N_("Period"),
    "previous_period": N_("Previous period"), "kpi": N_("KPI key"), "label": N_("KPI"), "unit": N_("Unit"),
    "value": N_("Value"), "count": N_("Count"), "previous": N_("Previous value"), "target": N_("Target"),
    "amber": N_("Amber threshold"), "target_source": N_("Target source"), "status": N_("Status"),
    "responsible": N_("Responsible person"),
}
LEVELS = ("inherent", "current", "residual")
REGISTER_COLUMNS = {
    "reference": N_("Reference"), "title": N_("Title"), "status": N_("Status"), "owner": N_("Owner"),
    "owner_person": N_("Named owner"), "sectors": N_("Sectors"), "threat": N_("Threat (RSIT)"),
    "attack": N_("ATT&CK techniques"),
    "inherent_likelihood": N_("Inherent likelihood"), "inherent_impact": N_("Inherent impact"),
    "inherent_level": N_("Inherent level"), "current_likelihood": N_("Current likelihood"),
    "current_impact": N_("Current impact"), "current_level": N_("Current level"),
    "residual_likelihood": N_("Residual likelihood"), "residual_impact": N_("Residual impact"),
    "residual_level": N_("Residual level"),
    "treatment": N_("Treatment strategy"), "next_review_on": N_("Next review"), "version": N_("Version"),
    "updated_at": N_("Updated"),
}


def header(columns: dict[str, str], keys: bool) -> list[str]:
    """The header row: the columns' keys, or their names in the request's language."""
    return list(columns) if keys else [gettext(name) for name in columns.values()]


def _write(first_row: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(first_row)
    for row in rows:
        writer.writerow([_safe(v) for v in row])
    return out.getvalue()


def kpi_cards(cards: list[kpi.Card], *, keys: bool = False) -> str:
    """One row per card and figure: value, previous value, target and status. The figure's label is in the
    request's language, as on the console's card; with ``keys``, as stored (English) and under the key row."""
    label = (lambda f: f.label) if keys else figures.label
    return _write(header(KPI_COLUMNS, keys), ([c.kind, c.slug, c.name, c.period.label, c.previous_period.label,
                                               f.key, label(f), f.unit,
                            f.value, f.count, f.previous, f.target.target if f.target else None,
                            f.target.amber if f.target else None, f.target.source if f.target else None, f.status,
                            c.responsible.name if c.responsible else None]
                           for c in cards for f in c.figures))


def register(risks: list[Risk], *, keys: bool = False) -> str:
    """One row per risk: owner, scope, status, the three assessed levels and the treatment."""
    levels = LEVELS

    def row(r: Risk) -> list:
        owner = r.owner_org or r.owner_team
        scores = [(r.assessment or {}).get(level, {}).get(part) for level in levels
                  for part in ("likelihood", "impact", "level")]
        return [r.reference, r.title, r.status, owner.slug if owner else None, r.owner_person, " ".join(r.sectors),
                " ".join(r.threat.get("rsit", [])), " ".join(r.threat.get("attack", [])), *scores,
                (r.treatment or {}).get("strategy"), r.next_review_on, r.version, r.updated_at.isoformat()]

    return _write(header(REGISTER_COLUMNS, keys), (row(r) for r in risks))
