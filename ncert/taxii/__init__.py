"""The TAXII 2.1 door at ``/taxii2/``: one API root, ``/taxii2/ncert/``.

Views check headers, parameters and credentials, then call one function of
``ncert.services.taxii``; errors become TAXII error bodies in one handler.
Spec: https://docs.oasis-open.org/cti/taxii/v2.1/os/taxii-v2.1-os.html
"""

from ncert.taxii.views import register

__all__ = ["register"]
