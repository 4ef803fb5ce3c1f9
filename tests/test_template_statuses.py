"""Templates ask a model whether it is in a state (`milestone.is_funded`) or compare with the
Status enum; a status spelt out as a string in a template breaks silently when a status is renamed."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

# `x.status == "funded"`, `to_status != 'draft'`, `status in "…"`, and the same written the other way round.
LITERAL_STATUS = re.compile(
    r"""status\w*\s*(==|!=|\bnot\s+in\b|\bin\b)\s*['"]|['"]\s*(==|!=)\s*[\w.]*status\b""", re.IGNORECASE
)


def template_files() -> list[Path]:
    roots = [Path(directory) for engine in settings.TEMPLATES for directory in engine.get("DIRS", [])]
    roots += [Path(settings.BASE_DIR) / app for app in ("accounts", "contracts", "marketplace", "messaging")]
    return sorted({path for root in roots for path in root.rglob("*.html")})


def test_the_check_finds_a_literal_status_comparison():
    assert LITERAL_STATUS.search('{% if milestone.status == "funded" %}')
    assert LITERAL_STATUS.search("{% elif event.to_status != 'expired' %}")
    assert LITERAL_STATUS.search('{% if "open" == project.status %}')
    assert not LITERAL_STATUS.search("{% if milestone.is_funded %}")


def test_no_template_compares_a_status_with_a_string():
    files = template_files()
    assert len(files) > 50  # the templates were found
    found = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}: {line.strip()[:120]}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if LITERAL_STATUS.search(line)
    ]
    assert found == []
