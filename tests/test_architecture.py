"""One way to change state: a status is assigned only in core/transitions.py, and every model with
a status carries a transition table that covers every status it can hold.

The source is parsed, not grepped, so a status written through `update(**{"status": ...})`,
`setattr(row, "status", ...)` or `bulk_update(rows, ["status"])` is caught as well as the plain
forms. Migrations and tests may write statuses directly (to set up or to simulate a race).
"""

from __future__ import annotations

import ast
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.test.utils import isolate_apps

ROOT = Path(__file__).resolve().parent.parent


def our_apps() -> set[str]:
    """The labels of the installed apps that live in this repository (an app added to settings is in)."""
    return {config.label for config in apps.get_app_configs() if Path(config.path).parent == ROOT}


# Where a status may be written: the one primitive, and code that is not the application's.
ALLOWED_FILES = {Path("core/transitions.py")}
SKIPPED_DIRS = {"tests", "migrations", "node_modules", "static", "templates", "var", "docs", "venv"}


def _is_status(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == "status"


def _writes_status_in(mapping: ast.AST) -> bool:
    """A `{"status": ...}` or `dict(status=...)` handed over with `**`."""
    if isinstance(mapping, ast.Dict):
        return any(key is not None and _is_status(key) for key in mapping.keys)
    if isinstance(mapping, ast.Call) and isinstance(mapping.func, ast.Name) and mapping.func.id == "dict":
        return any(keyword.arg == "status" for keyword in mapping.keywords)
    return False


def _assigns_status(target: ast.AST) -> bool:
    if isinstance(target, ast.Attribute):
        return target.attr == "status"
    if isinstance(target, ast.Tuple | ast.List):
        return any(_assigns_status(element) for element in target.elts)
    if isinstance(target, ast.Starred):
        return _assigns_status(target.value)
    return False


def status_writes(source: str, filename: str = "<snippet>") -> list[str]:
    """Every place in `source` that writes a status other than through core.transitions.move."""
    found = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign) and any(map(_assigns_status, targets)):
            found.append(f"{where}: assigns .status")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name == "update" and any(
                keyword.arg == "status" or (keyword.arg is None and _writes_status_in(keyword.value))
                for keyword in node.keywords
            ):
                found.append(f"{where}: update(status=…)")
            elif name == "setattr" and len(node.args) >= 2 and _is_status(node.args[1]):
                found.append(f"{where}: setattr(…, 'status', …)")
            elif name == "bulk_update" and any(
                isinstance(arg, ast.List | ast.Tuple | ast.Set) and any(_is_status(e) for e in arg.elts)
                for arg in [*node.args[1:], *(k.value for k in node.keywords if k.arg == "fields")]
            ):
                found.append(f"{where}: bulk_update(…, ['status'])")
    return found


def our_python_files() -> list[Path]:
    files = []
    for directory, subdirectories, names in os.walk(ROOT):
        subdirectories[:] = [d for d in subdirectories if not d.startswith(".") and d not in SKIPPED_DIRS]
        for name in names:
            path = Path(directory, name).relative_to(ROOT)
            if name.endswith(".py") and path not in ALLOWED_FILES:
                files.append(path)
    return sorted(files)


def table_problems(model: type[models.Model]) -> list[str]:
    """What is wrong with a model's transition table, if it has a status at all."""
    try:
        field = model._meta.get_field("status")
    except FieldDoesNotExist:
        return []
    name = f"{model._meta.label}"
    statuses = {value for value, _ in field.flatchoices}
    if not statuses:
        return [f"{name}.status has no choices, so no table can cover it"]
    table = getattr(model, "TRANSITIONS", None)
    if not isinstance(table, dict):
        return [f"{name} has a status but no TRANSITIONS table"]
    problems = []
    if missing := statuses - set(table):
        problems.append(f"{name}.TRANSITIONS has no row for {sorted(missing)}")
    if unknown := (set(table) | set().union(*table.values())) - statuses:
        problems.append(f"{name}.TRANSITIONS names statuses the field does not have: {sorted(unknown)}")
    return problems


# --- the rules, on our code ---------------------------------------------------------------------


def test_the_scan_sees_our_code():
    # given the files the rule reads, then every app is among them (a wrong root would pass vacuously)
    files = our_python_files()
    ours = our_apps()
    assert {"core", "marketplace", "contracts", "payments"} <= ours
    assert {path.parts[0] for path in files} >= ours
    assert Path("contracts/services/milestones.py") in files
    assert not any(part in ("tests", "migrations") for path in files for part in path.parts)


def _in_a_fresh_thread(work):
    """CPython 3.11's ast.parse can raise "AST constructor recursion depth mismatch" in a thread
    that caught a RecursionError before (python/cpython#106905; another test in the same worker
    may have): a new thread starts with clean recursion counters."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def test_no_status_is_written_outside_core_transitions():
    def scan():
        found = []
        for path in our_python_files():
            found += status_writes((ROOT / path).read_text(encoding="utf-8"), str(path))
        return found

    found = _in_a_fresh_thread(scan)
    assert found == [], "Move statuses with core.transitions.move:\n" + "\n".join(found)


def test_every_model_with_a_status_has_a_table_covering_every_status():
    ours = [model for model in apps.get_models() if model._meta.app_label in our_apps()]
    with_status = [model for model in ours if any(f.name == "status" for f in model._meta.get_fields())]
    # the models this rule is about are really found
    assert {m._meta.label for m in with_status} >= {
        "contracts.Milestone",
        "contracts.RefundRequest",
        "marketplace.Interview",
        "payments.Payout",
    }
    problems = [problem for model in ours for problem in table_problems(model)]
    assert problems == []


# --- the checker, on code that breaks the rules ---------------------------------------------------

BAD_SNIPPETS = [
    "Milestone.objects.filter(pk=1).update(status='released')",
    "qs.update(settled_at=now, status=Milestone.Status.RELEASED)",
    "qs.update(**{'status': 'released'})",
    "qs.update(**dict(status='released'))",
    "milestone.status = 'released'",
    "self.status: str = 'released'",
    "a.status, b = 'x', 1",
    "setattr(milestone, 'status', 'released')",
    "Milestone.objects.bulk_update(rows, ['status'])",
    "Milestone.objects.bulk_update(rows, fields=('amount_cents', 'status'))",
]
GOOD_SNIPPETS = [
    "Milestone.objects.filter(status='funded').update(released_cents=F('released_cents') + 1)",
    "transitions.move(milestone, to='released', by=user, event_model=E, event_field='milestone')",
    "Response(body, status=201)",
    "if milestone.status == 'funded': pass",
    "event.from_status = 'funded'",
    "Milestone.objects.create(status='funded')",
    "qs.update(**changes)",
]


def test_the_checker_flags_every_way_of_writing_a_status():
    for snippet in BAD_SNIPPETS:
        assert len(status_writes(snippet)) == 1, snippet


def test_the_checker_leaves_reads_and_other_writes_alone():
    for snippet in GOOD_SNIPPETS:
        assert status_writes(snippet) == [], snippet


def test_the_checker_names_the_file_and_line():
    assert status_writes("x = 1\nrow.status = 'done'\n", "contracts/services/bad.py") == [
        "contracts/services/bad.py:2: assigns .status"
    ]


def _model(name: str, **attrs) -> type[models.Model]:
    """A throwaway model of the contracts app with a two-status field, plus `attrs`."""
    choices = [("open", "Open"), ("done", "Done")]
    return type(
        name,
        (models.Model,),
        {
            "__module__": "contracts.models",
            "status": models.CharField(max_length=10, choices=choices),
            "__str__": lambda self: name,
            **attrs,
        },
    )


@isolate_apps("contracts")
def test_the_table_check_flags_a_missing_or_partial_table():
    NoTable = _model("NoTable")
    PartialTable = _model("PartialTable", TRANSITIONS={"open": {"done", "gone"}})
    FullTable = _model("FullTable", TRANSITIONS={"open": {"done"}, "done": set()})
    assert table_problems(NoTable) == ["contracts.NoTable has a status but no TRANSITIONS table"]
    assert table_problems(PartialTable) == [
        "contracts.PartialTable.TRANSITIONS has no row for ['done']",
        "contracts.PartialTable.TRANSITIONS names statuses the field does not have: ['gone']",
    ]
    assert table_problems(FullTable) == []
