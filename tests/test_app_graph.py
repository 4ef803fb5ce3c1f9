"""The app graph that docs/architecture.md describes is the one import-linter enforces, and the code
stays in modules small enough to read."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
DOC = (ROOT / "docs" / "architecture.md").read_text()
OUR_PACKAGES = PYPROJECT["root_packages"]
MAX_MODULE_LINES = 500


def _contract(contract_id: str) -> dict:
    return next(c for c in PYPROJECT["contracts"] if c["id"] == contract_id)


def _documented_tree() -> list[str]:
    section = DOC.split("### The app graph", 1)[1]
    tree = section.split("```", 2)[1]
    return re.findall(r"\b(" + "|".join(OUR_PACKAGES) + r")\b", tree)


def test_the_documented_tree_is_the_enforced_layering():
    layers = [name.strip() for layer in _contract("layers")["layers"] for name in layer.split("|")]
    assert _documented_tree() == layers
    assert sorted(layers) == sorted(OUR_PACKAGES), "every package of ours sits in a layer"


def test_payments_is_documented_and_enforced_as_core_only():
    forbidden = set(_contract("payments-knows-no-deals")["forbidden_modules"])
    assert forbidden == set(OUR_PACKAGES) - {"payments", "core"}
    assert "`payments` → `core` alone" in DOC


def test_every_package_of_ours_is_analysed():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert packages == set(OUR_PACKAGES)


def test_no_module_outside_migrations_and_tests_passes_500_lines():
    too_long = {
        str(path.relative_to(ROOT)): lines
        for package in OUR_PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not too_long, f"split these by subject: {too_long}"
