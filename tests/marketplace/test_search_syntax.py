"""One table of queries in the search box's syntax ("quoted phrases", -exclusions, `or`, prefixes,
plurals) with the projects each must find: the same answers on SQLite (marketplace/websearch.py)
and on PostgreSQL (websearch_to_tsquery). CI runs it on PostgreSQL, `make test` on SQLite."""

from __future__ import annotations

import pytest
from django.urls import reverse

from marketplace.search import SearchFilters, project_search
from marketplace.websearch import Term, parse
from tests.helpers import text
from tests.marketplace.factories import open_project, skills_named

pytestmark = pytest.mark.django_db

PROJECTS = {
    "marina": ("SMS reminders for a per-marina booking desk", "Harbour berths booked by text message."),
    "dentist": ("Appointment reminders for a dentist", "Email and SMS reminders before each visit."),
    "postgres": ("PostgreSQL upgrade for a booking system", "Move from version 11 to 16 without downtime."),
    "art": ("Start-up landing page", "A single page for a start-up selling prints."),
    "stripe": ("Stripe Connect payouts", "Weekly payouts to sellers through Connect Express accounts."),
}

TABLE = [
    ("reminders", {"marina", "dentist"}),
    ("reminders -marina", {"dentist"}),  # the exclusion removes the per-marina project
    ('"booking desk"', {"marina"}),  # a phrase: those words in that order
    ('"desk booking"', set()),
    ("dentist or stripe", {"dentist", "stripe"}),
    ("reminders dentist or marina", {"marina", "dentist"}),
    ("postgres", {"postgres"}),  # four letters or more: a prefix of PostgreSQL
    ("booking -upgrade", {"marina"}),
    ("booking -reminder", {"postgres"}),  # an exclusion takes the word's endings too
    ("reminder", {"marina", "dentist"}),  # singular finds the plural
    ("payout", {"stripe"}),
    ('-"booking desk" reminders', {"dentist"}),
    ("art", set()),  # a short word is whole: not inside "start"
]


@pytest.fixture
def projects():
    skill = skills_named("Django")  # the same skill on every project: only the words tell them apart
    return {
        key: open_project(title=title, summary=summary, description=summary, skills=skill)
        for key, (title, summary) in PROJECTS.items()
    }


@pytest.mark.parametrize(("query", "expected"), TABLE, ids=[query for query, _ in TABLE])
def test_the_syntax_finds_the_same_projects_on_every_database(projects, query, expected):
    ids = {project.pk for project in project_search(SearchFilters(query=query))}
    names = {key for key, project in projects.items() if project.pk in ids}
    assert names == expected


def test_the_search_page_answers_the_syntax(projects, client):
    page = text(client.get(reverse("project_search"), {"q": "reminders -marina"}))
    assert PROJECTS["dentist"][0] in page and PROJECTS["marina"][0] not in page


def test_the_parser_reads_or_negation_and_phrases():
    assert parse('a or b -c "d e"') == [
        [Term(("a",)), Term(("b",))],
        [Term(("c",), negated=True)],
        [Term(("d", "e"))],
    ]
    assert parse('or -  ""') == []
