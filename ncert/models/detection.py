"""What the detectors leave behind: per-incident anomaly scores, stored models and category suggestions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ncert.db import Base


class AnomalyScore(Base):
    """One incident's anomaly signals: the model's score at intake and, when its
    sector's daily volume spiked, the robust z-score of that spike."""

    __tablename__ = "anomaly_scores"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    score: Mapped[float | None] = mapped_column(Float)  # 0 … 1, the isolation forest's anomaly score
    model_version: Mapped[str | None] = mapped_column(String(64))
    scored_at: Mapped[datetime | None]
    volume_z: Mapped[float | None] = mapped_column(Float)  # the sector's robust z-score on the spike day
    volume_flagged_at: Mapped[datetime | None]


class StoredModel(Base):
    """One version of a trained model (``detection.modelstore``): the estimator in skops'
    format, loaded only with an explicit list of trusted types (never a pickle), its plain
    parameters as JSON, and what it was made from and how well it did. ``status`` is
    ``active`` for the one version in use per name, ``candidate`` or ``retired`` otherwise."""

    __tablename__ = "stored_models"
    __table_args__ = (UniqueConstraint("name", "version"), Index("ix_stored_models_name_status", "name", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    sklearn_version: Mapped[str] = mapped_column(String(32))
    data_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the training data
    trained_at: Mapped[datetime]
    training_seconds: Mapped[float] = mapped_column(Float)
    examples: Mapped[int]
    metrics: Mapped[dict] = mapped_column(default=dict)
    params: Mapped[dict] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16))
    promoted_at: Mapped[datetime | None]
    promoted_by: Mapped[str | None] = mapped_column(String(400))
    estimator: Mapped[bytes] = mapped_column(LargeBinary)  # skops zip


class CategorySuggestion(Base):
    """The categoriser's suggestions for one report that came without a category.

    Two audiences, two models (``detection.categorisation``): ``national_*`` comes from
    the model trained on every confirmed report and is shown to national staff only;
    ``reporter_*`` comes from the shipped corpus alone and is what the reporter sees, and
    what may set the category as "suggested" (``applied``). ``decision`` is an operator's
    ``accepted`` or ``corrected``: a confirmed category, training data for the next version."""

    __tablename__ = "category_suggestions"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    national_class: Mapped[str] = mapped_column(String(48))
    national_type: Mapped[str] = mapped_column(String(64))
    national_confidence: Mapped[float] = mapped_column(Float)
    national_model: Mapped[str] = mapped_column(String(80))
    reporter_class: Mapped[str] = mapped_column(String(48))
    reporter_type: Mapped[str] = mapped_column(String(64))
    reporter_confidence: Mapped[float] = mapped_column(Float)
    reporter_model: Mapped[str] = mapped_column(String(80))
    suggested_at: Mapped[datetime]
    applied: Mapped[bool] = mapped_column(default=False)  # the category was set from the suggestion, unconfirmed
    decision: Mapped[str | None] = mapped_column(String(16), index=True)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(400))
