"""Packages only some requests need, imported with their first use rather than with the web app (issue 12).

``create_app()`` runs in every web process (``ncert serve``, each WSGI worker) before its first request;
what it imports, each of them pays at start. ``from ncert.lazy import stix2`` binds a stand-in whose
first attribute looked up (``stix2.Indicator``) imports the package; the code using it reads as with
``import stix2``. A package one function needs is imported inside that function instead.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any


class LazyModule:
    """The module ``name``, imported when the first of its attributes is looked up (importing is
    thread-safe, and once done each lookup finds the module in ``sys.modules``)."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


if TYPE_CHECKING:
    import numpy
    import stix2
else:
    # ~0.1 s: the streaming depth guard (ncert.bodies.DepthGuard) of TAXII pushes, feed pulls and `ncert import`
    numpy = LazyModule("numpy")
    # ~60 ms with its pattern grammar (ANTLR) and TAXII client: STIX export and advisory sharing build objects
    stix2 = LazyModule("stix2")
