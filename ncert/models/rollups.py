"""Incident rollups: the leadership pages' aggregates, maintained on write.

One ``IncidentRollup`` row counts the incidents (merged duplicates left out)
reported on one day by one organisation that share every key the overview,
the KPI cards and the landscape group or filter by, including the reporting
organisation and the label that ``ncert.access.scope`` decides visibility by.
Durations that percentiles are read from (time to acknowledge, contain and
resolve, reporting delay) are kept per rollup row as log-scale histograms
(``RollupDuration``). The queue's exact counts per status are ``StatusTotal`` rows,
kept from per-cell ``StatusCell`` rows; ``ncert.services.rollups`` maintains them all.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Float, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ncert.db import Base, EnumText
from ncert.taxonomy import TLP, Status

CRITICAL = 4  # the level from which an incident counts as critical (the KPI cards' open criticals)
CRITICAL_ROWS = f"severity >= {CRITICAL} OR communicated_severity >= {CRITICAL}"
COVER = ("day", "reporter_org_id", "tlp", "sector_id", "rsit_class", "severity", "communicated_severity", "status",
         "ended_on", "incidents")


class IncidentRollup(Base):
    __tablename__ = "incident_rollups"
    __table_args__ = (
        # Nearly one row per incident at a thousand incidents a day (its keys are many): the national
        # pages' scans of a period read this index alone, never the table.
        Index("ix_incident_rollups_day_cover", *COVER),
        Index("ix_incident_rollups_org_day", "reporter_org_id", "day"),
        Index("ix_incident_rollups_sector_day", "sector_id", "day"),
        Index("ix_incident_rollups_status_cover", "status", *(c for c in COVER if c != "status")),
        # Open criticals at a period's end: the few rows at level 4 or above (either severity).
        Index("ix_incident_rollups_org_critical", "reporter_org_id", "day",
              sqlite_where=text(CRITICAL_ROWS), postgresql_where=text(CRITICAL_ROWS)),
        Index("ix_incident_rollups_sector_critical", "sector_id", "day",
              sqlite_where=text(CRITICAL_ROWS), postgresql_where=text(CRITICAL_ROWS)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]  # the UTC day the incidents were reported
    reporter_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    sector_id: Mapped[int] = mapped_column(ForeignKey("sectors.id", ondelete="CASCADE"))
    rsit_class: Mapped[str] = mapped_column(String(48))
    severity: Mapped[int]  # the national severity
    communicated_severity: Mapped[int]  # the severity communicated to the reporter
    tlp: Mapped[TLP] = mapped_column(EnumText(TLP, 20))
    status: Mapped[Status] = mapped_column(EnumText(Status, 16))
    ended_on: Mapped[date | None]  # the UTC day of the earlier of resolution and closure, if any
    incidents: Mapped[int]


class RollupDuration(Base):
    """How many of a rollup row's incidents took a duration within one histogram bucket,
    with the least and greatest such duration (seconds)."""

    __tablename__ = "incident_rollup_durations"
    __table_args__ = (
        # National staff's percentiles of a period read this index alone, without the rollup rows.
        Index("ix_incident_rollup_durations_measure_day", "measure", "day", "bucket", "n", "least", "greatest"),
    )

    rollup_id: Mapped[int] = mapped_column(ForeignKey("incident_rollups.id", ondelete="CASCADE"), primary_key=True)
    measure: Mapped[str] = mapped_column(String(16), primary_key=True)  # acknowledge | contain | resolve | delay
    bucket: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int]
    least: Mapped[float] = mapped_column(Float)
    greatest: Mapped[float] = mapped_column(Float)
    day: Mapped[date]  # its rollup row's, which never changes


class TermRollup(Base):
    """How many of one day's incidents reported by one organisation under one label (merged
    duplicates left out) carry a term the landscape ranks: a CVE (a ``cve`` indicator of the report),
    a malware family or an ATT&CK technique (its MISP galaxy tags, ``ncert.galaxies``)."""

    __tablename__ = "incident_term_rollups"
    __table_args__ = (
        Index("ix_incident_term_rollups_kind_day", "kind", "day"),
        Index("ix_incident_term_rollups_day_org", "day", "reporter_org_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    reporter_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    tlp: Mapped[TLP] = mapped_column(EnumText(TLP, 20))
    kind: Mapped[str] = mapped_column(String(16))  # cve | malware | technique
    term: Mapped[str] = mapped_column(String(300))
    incidents: Mapped[int]


class StatusCell(Base):
    """How many of one day's incidents reported by one organisation under one label (merged ones
    included) are in one status: the per-cell truth ``StatusTotal`` is kept from."""

    __tablename__ = "incident_status_cells"

    day: Mapped[date] = mapped_column(primary_key=True)
    reporter_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    tlp: Mapped[TLP] = mapped_column(EnumText(TLP, 20), primary_key=True)
    status: Mapped[Status] = mapped_column(EnumText(Status, 16), primary_key=True)
    n: Mapped[int]


class StatusTotal(Base):
    """How many incidents one organisation reported under one label are in one status, over all
    time (merged ones included): the queue's exact per-status counts, a few rows per organisation."""

    __tablename__ = "incident_status_totals"

    reporter_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    tlp: Mapped[TLP] = mapped_column(EnumText(TLP, 20), primary_key=True)
    status: Mapped[Status] = mapped_column(EnumText(Status, 16), primary_key=True)
    n: Mapped[int]
