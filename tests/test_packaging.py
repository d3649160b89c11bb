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


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def imported_modules() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - set(PACKAGES)


def test_every_third_party_import_is_a_declared_dependency():
    declared = {normalised(re.split(r"[\s\[<>=!~;]", d, maxsplit=1)[0]) for d in PROJECT["project"]["dependencies"]}
    distributions = packages_distributions()
    missing = {module: distributions.get(module) for module in imported_modules()
               if not {normalised(d) for d in distributions.get(module, [])} & declared}
    assert missing == {}


def test_every_data_file_is_package_data():
    globs = PROJECT["tool"]["setuptools"]["package-data"]
    for package in PACKAGES:
        shipped = {path for g in globs.get(package, []) for path in (ROOT / package).glob(g)}  # setuptools' glob
        for path in (ROOT / package).rglob("*"):
            if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts:
                assert path in shipped, f"{path.relative_to(ROOT)} is not in the wheel"
