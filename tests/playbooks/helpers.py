"""Helpers to arrange organisations and read what the playbook engine did."""

from __future__ import annotations

from sqlalchemy import func, select

from ncert.db import Base
from ncert.models import Incident, Organization, PlaybookFiring, RegulatoryDeadline, Rfi, Task, TimelineEntry


def set_entity(world, org: str, entity_class: str | None) -> None:
    with world.runtime.sessions() as s:
        s.get(Organization, world.orgs[org]).nis2_entity = entity_class
        s.commit()


class Look:
    """Reads one incident's state after the engine ran."""

    def __init__(self, world, reference: str):
        self.s = world.runtime.sessions()
        self.incident = self.s.scalar(select(Incident).where(Incident.reference == reference))

    def __enter__(self) -> "Look":
        return self

    def __exit__(self, *exc) -> None:
        self.s.close()

    def fired(self) -> set[str]:
        stmt = select(PlaybookFiring.playbook).where(PlaybookFiring.incident_id == self.incident.id)
        return set(self.s.scalars(stmt))

    def tasks(self) -> list[Task]:
        return list(self.s.scalars(select(Task).where(Task.incident_id == self.incident.id).order_by(Task.id)))

    def rfis(self) -> list[Rfi]:
        return list(self.s.scalars(select(Rfi).where(Rfi.incident_id == self.incident.id).order_by(Rfi.id)))

    def deadlines(self) -> list[RegulatoryDeadline]:
        stmt = select(RegulatoryDeadline).where(RegulatoryDeadline.incident_id == self.incident.id)
        return list(self.s.scalars(stmt.order_by(RegulatoryDeadline.due_at)))

    def notes(self) -> list[TimelineEntry]:
        stmt = select(TimelineEntry).where(TimelineEntry.incident_id == self.incident.id,
                                           TimelineEntry.kind == "playbook")
        return list(self.s.scalars(stmt.order_by(TimelineEntry.id)))


def look(world, reference: str) -> Look:
    return Look(world, reference)


def table_counts(world) -> dict[str, int]:
    with world.runtime.sessions() as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
