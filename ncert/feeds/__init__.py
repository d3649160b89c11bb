"""The MISP feed door at ``/misp-feeds/<audience>/``: ``manifest.json``,
``hashes.csv`` and ``<uuid>.json``, laid out as MISP pulls a feed (PyMISP
``tools/feed.py``; MISP ``app/Model/Feed.php``).

Each partner organisation authenticates with its API key, sent as MISP sends a
feed's configured ``Authorization`` header (the bare key), as a Bearer token,
or as the HTTP Basic password. Views call ``ncert.services.feeds`` only.
"""

from ncert.feeds.views import register

__all__ = ["register"]
