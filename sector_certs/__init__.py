"""The national constituency and its traffic: sector registry, traffic simulator, demo data.

- ``registry.yaml`` / ``registry``: the sectors (NIS2 Annexes I and II, plus
  central government, education and civil society) and the organisations the
  national CERT serves: itself, the sector CERTs, essential and important
  operators, civil society and international partner CERTs. ``ncert init``
  loads it, idempotently.
- ``simulator``: a seeded, reproducible stream of realistic incident reports
  per sector, with campaigns shared across sectors and a planned lifecycle;
  pure Python, used by the demo, the tests and the benchmarks.
- ``demo``: ``ncert demo`` seeds demo logins and months of history through the
  real services.
"""
