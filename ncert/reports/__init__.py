"""Reports built from the services: the quarterly national report (``quarterly``)
as PDF (``pdf``), and the KPI cards and the risk register as CSV (``csv_export``)."""
