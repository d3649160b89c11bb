"""The domain model (SQLAlchemy 2 typed ORM). Schema changes go through Alembic."""

from ncert.models.advisories import Advisory, AdvisoryIncident, AdvisoryRevision
from ncert.models.assessment import IncidentAssessment
from ncert.models.audit import AuditChainHead, AuditEvent
from ncert.models.detection import AnomalyScore, CategorySuggestion, StoredModel
from ncert.models.directory import ApiKey, Organization, Sector, User
from ncert.models.evidence import EvidenceBlob, IncidentAttachment
from ncert.models.feeds import FeedSource
from ncert.models.incident import ExternalRef, Incident, ReferenceCounter, TimelineEntry, incident_affected_sectors
from ncert.models.indicator import IncidentIndicator, Indicator, Sighting
from ncert.models.kpi import KpiReview, KpiTarget, ResponsiblePerson
from ncert.models.misp import MispAttribute, MispEvent, MispTag
from ncert.models.outbox import OutboxMessage
from ncert.models.playbooks import (
    NationalIncident,
    NationalIncidentMember,
    Notification,
    PlaybookFiring,
    PlaybookVersion,
    RegulatoryDeadline,
    StoredPlaybook,
    Task,
)
from ncert.models.regimes import ReportingRegime, SectorRegime
from ncert.models.rfis import Rfi, RfiAnswer, RfiAttachment
from ncert.models.risks import Risk, RiskIncident, RiskMatrix, RiskNotification, RiskVersion
from ncert.models.rollups import IncidentRollup, RollupDuration, StatusCell, StatusTotal, TermRollup
from ncert.models.saved_filters import SavedFilter
from ncert.models.sign_in import ConsoleSession, SignInFailure
from ncert.models.stix import StixObject, TaxiiCollection, TaxiiStatus
from ncert.models.teams import Team, TeamMember

__all__ = [
    "Advisory",
    "AdvisoryIncident",
    "AdvisoryRevision",
    "EvidenceBlob",
    "IncidentAttachment",
    "CategorySuggestion",
    "StoredModel",
    "AnomalyScore",
    "ApiKey",
    "AuditChainHead",
    "AuditEvent",
    "ConsoleSession",
    "ExternalRef",
    "FeedSource",
    "Incident",
    "IncidentAssessment",
    "IncidentIndicator",
    "IncidentRollup",
    "Indicator",
    "KpiReview",
    "KpiTarget",
    "MispAttribute",
    "MispEvent",
    "MispTag",
    "NationalIncident",
    "NationalIncidentMember",
    "Notification",
    "Organization",
    "OutboxMessage",
    "PlaybookFiring",
    "PlaybookVersion",
    "ReferenceCounter",
    "RegulatoryDeadline",
    "ReportingRegime",
    "ResponsiblePerson",
    "Rfi",
    "RfiAnswer",
    "RfiAttachment",
    "Risk",
    "RiskIncident",
    "RiskMatrix",
    "RiskNotification",
    "RiskVersion",
    "RollupDuration",
    "StatusCell",
    "StatusTotal",
    "TermRollup",
    "SavedFilter",
    "Sector",
    "SectorRegime",
    "Sighting",
    "SignInFailure",
    "StixObject",
    "StoredPlaybook",
    "TaxiiCollection",
    "Task",
    "TaxiiStatus",
    "Team",
    "TeamMember",
    "TimelineEntry",
    "User",
    "incident_affected_sectors",
]
