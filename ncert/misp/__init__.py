"""The MISP-compatible API at ``/misp/``: enough of MISP's REST API for PyMISP to work unchanged.

``protocol`` reads CakePHP-style paths, the API key and JSON bodies, and writes
MISP's error shape; ``views`` maps each controller action to one call of
``ncert.services.misp_events``. Reference: PyMISP ``api.py`` (the client) and
MISP's ``RestResponseComponent`` (the server's answers).
"""

from ncert.misp.views import register

__all__ = ["register"]
