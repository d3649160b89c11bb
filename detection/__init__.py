"""Detection: cross-sector correlation and scikit-learn anomaly models.

Detectors react to domain events from the services and flag incidents for the
triage queue; they never write outside the services. ``install()`` registers
them on the incidents service hook list, beside the playbook engine they feed
(``indicator.correlated``, ``anomaly.flagged``); ``uninstall()`` removes them.
"""

from detection.service import install, uninstall

__all__ = ["install", "uninstall"]
