"""Intake adapters: STIX 2.1 / TAXII, MISP, CSV and feed collectors.

Each adapter turns one external format into ``ncert.records.IncidentRecord``
values and hands them to the services; none stores or correlates anything
itself. The REST API and the console form produce the same records directly.
"""
