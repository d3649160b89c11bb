"""``/landscape``: the threat landscape of a period, within the key's scope
(``ncert.services.landscape``)."""

from __future__ import annotations

from pydantic import Field

from ncert.api.v1.auth import actor
from ncert.api.v1.kpi import PeriodQuery, PeriodView, period_view
from ncert.api.v1.payloads import parse_query
from ncert.api.v1.routing import operation, respond
from ncert.api.v1.serialize import Out
from ncert.services import landscape as service
from ncert.web.session import db


class TrendView(Out):
    key: str
    label: str
    per_month: list[int] = Field(description="Incidents per month, in the order of 'months'")
    total: int
    previous: int = Field(description="The previous period's total")


class TopView(Out):
    name: str
    incidents: int


class CampaignView(Out):
    reference: str
    title: str
    incidents: int = Field(description="Member incidents reported in the period")
    sectors: list[str]


class LandscapeView(Out):
    period: PeriodView
    previous_period: PeriodView
    months: list[str] = Field(description="YYYY-MM of each month the period touches")
    total: int
    previous_total: int
    by_class: list[TrendView]
    by_sector: list[TrendView]
    by_severity: list[TrendView]
    top_cves: list[TopView]
    top_malware: list[TopView] = Field(description="Malware families, from MISP galaxy tags")
    top_techniques: list[TopView] = Field(description="ATT&CK techniques, from MISP galaxy tags")
    national_incidents: list[CampaignView] = Field(description="Campaigns; national staff only")


@operation("GET", "/landscape", query=PeriodQuery, returns=LandscapeView, summary="The threat landscape")
def get_landscape():
    """Trends by RSIT class, sector and severity, the most reported CVEs, malware families and ATT&CK
    techniques, and national incidents, for a quarter or a custom range, over the incidents the key may see."""
    found = service.landscape(db(), actor(), parse_query(PeriodQuery).parsed())

    def trends(items):
        return [TrendView(key=t.key, label=t.label, per_month=t.per_month, total=t.total, previous=t.previous)
                for t in items]

    def tops(items):
        return [TopView(name=t.name, incidents=t.incidents) for t in items]

    return respond(LandscapeView(
        period=period_view(found.period), previous_period=period_view(found.previous_period), months=found.months,
        total=found.total, previous_total=found.previous_total, by_class=trends(found.by_class),
        by_sector=trends(found.by_sector), by_severity=trends(found.by_severity), top_cves=tops(found.top_cves),
        top_malware=tops(found.top_malware), top_techniques=tops(found.top_techniques),
        national_incidents=[CampaignView(reference=c.reference, title=c.title, incidents=c.incidents,
                                         sectors=c.sectors) for c in found.national_incidents],
    ))
