"""Detection: cross-sector correlation and scikit-learn anomaly models.

Detectors react to domain events from the services and flag incidents for the
triage queue; they never write outside the services.
"""
