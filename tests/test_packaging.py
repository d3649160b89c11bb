"""What the wheel needs, read from the source: every third-party module the packages import is
a declared dependency, and every data file they hold is package data (the shipped playbook
library once was not, and an installed ncert crashed at ``ncert init``). ``.ci/wheel_smoke.sh``
then builds and runs the real wheel."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGES = ("ncert", "ingest", "detection", "playbooks", "sector_certs")
# An optional feature's module → (its extra, the only files that may import it; everything else
# imports those files lazily, so ncert runs without the extra installed).
OPTIONAL = {"elasticsearch": ("elasticsearch", {"ncert/search/elastic.py", "ncert/search/elastic_indicators.py",
                                               "ncert/search/elastic_stix.py"})}


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def imports_by_file() -> dict[str, set[str]]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            names = set()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names.add(node.module.split(".")[0])
            found[path.relative_to(ROOT).as_posix()] = names - set(sys.stdlib_module_names) - set(PACKAGES)
    return found


def imported_modules() -> set[str]:
    return set().union(*imports_by_file().values())


def _declared(requirements: list[str]) -> set[str]:
    return {normalised(re.split(r"[\s\[<>=!~;]", d, maxsplit=1)[0]) for d in requirements}


def test_every_third_party_import_is_a_declared_dependency():
    declared = _declared(PROJECT["project"]["dependencies"])
    distributions = packages_distributions()
    missing = {module: distributions.get(module) for module in imported_modules() - set(OPTIONAL)
               if not {normalised(d) for d in distributions.get(module, [])} & declared}
    assert missing == {}


def test_an_optional_import_is_its_extra_and_stays_in_its_files():
    by_file = imports_by_file()
    for module, (extra, files) in OPTIONAL.items():
        assert normalised(module) in _declared(PROJECT["project"]["optional-dependencies"][extra])
        assert {path for path, names in by_file.items() if module in names} == files


def test_every_data_file_is_package_data():
    globs = PROJECT["tool"]["setuptools"]["package-data"]
    for package in PACKAGES:
        shipped = {path for g in globs.get(package, []) for path in (ROOT / package).glob(g)}  # setuptools' glob
        for path in (ROOT / package).rglob("*"):
            if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts:
                assert path in shipped, f"{path.relative_to(ROOT)} is not in the wheel"


def test_the_console_catalogues_and_vocabularies_are_package_data():
    """The wheel ships each language's compiled .mo (what Flask-Babel reads; nothing compiles at
    install or start), its .po beside it, and the controlled vocabularies (``ncert.i18n``)."""
    from ncert.i18n import LOCALES, SOURCE_LOCALE

    globs = PROJECT["tool"]["setuptools"]["package-data"]["ncert"]
    shipped = {path.relative_to(ROOT / "ncert").as_posix() for g in globs for path in (ROOT / "ncert").glob(g)}
    for lang in LOCALES:
        assert f"vocabulary/{lang}.json" in shipped
        if lang != SOURCE_LOCALE:
            assert {f"translations/{lang}/LC_MESSAGES/messages.mo",
                    f"translations/{lang}/LC_MESSAGES/messages.po"} <= shipped, lang
