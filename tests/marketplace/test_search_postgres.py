"""Search relevance on PostgreSQL: realistic projects, queries a freelancer would type, and the
expected project first. Uses the english text-search configuration (stemming, stop words) and
websearch syntax ("quoted phrases", -exclusions, or)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import SkillCategory
from marketplace import search
from marketplace.models import Project
from marketplace.search import SearchFilters, SearchPaginator, project_search
from tests.helpers import text
from tests.marketplace.factories import open_project, skills_named

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

GIN_INDEX = "project_search_vector_gin"
LIST_INDEX = "project_listed_newest_idx"


def category(slug: str) -> SkillCategory:
    return SkillCategory.objects.get(slug=slug)


@pytest.fixture
def catalogue() -> dict[str, Project]:
    """Eight open projects made through the services, so search_text is what production indexes."""
    web = category("web-software-development")
    specs = {
        "payouts": dict(
            title="Stripe Connect payouts for a Django marketplace",
            summary="Pay sellers out through Stripe Connect.",
            description=(
                "Our Django marketplace takes card payments with Stripe Checkout. We need Connect Express "
                "accounts for sellers, weekly payouts, and a page where each seller sees their balance."
            ),
            skills=("Django", "Stripe Integration", "Payments Engineering"),
            category=web,
            budget=4_000_00,
        ),
        "logo": dict(
            title="Logo for a bakery",
            summary="A warm, hand-drawn logo for a neighbourhood bakery.",
            description="We bake sourdough and pastries. We need a logo, a small colour palette and files for signage.",
            skills=("Logo Design", "Brand Identity"),
            category=category("design-creative"),
            budget=400_00,
        ),
        "iot": dict(
            title="React dashboard for IoT sensors",
            summary="Live charts for temperature and humidity sensors.",
            description="Show readings from 200 sensors with charts, thresholds and alerts by email.",
            skills=("React", "TypeScript", "Data Visualization"),
            category=web,
            budget=3_000_00,
        ),
        "upgrade": dict(
            title="Migrate PostgreSQL 12 to 16",
            summary="Upgrade our production database with minimal downtime.",
            description=(
                "We run PostgreSQL 12 on one VM with 400 GB of data. Plan and carry out the upgrade to "
                "version 16 with logical replication, and rehearse the rollback."
            ),
            skills=("PostgreSQL", "Linux Administration"),
            category=category("data-machine-learning"),
            budget=2_500_00,
        ),
        "clinic": dict(
            title="Django REST API for clinic bookings",
            summary="The backend for our patients' mobile app.",
            description=(
                "Patients book, move and cancel appointments from our app. Build the API with token "
                "authentication, availability search and email reminders. Our admin dashboard is out of scope."
            ),
            skills=("Django", "Django REST Framework", "REST API Design"),
            category=web,
            budget=6_000_00,
        ),
        "german": dict(
            title="Translate app strings to German",
            summary="About 1,800 strings of a booking app.",
            description="The strings are in gettext .po files. Native German speaker, informal tone, glossary provided.",
            skills=("Translation (German)",),
            category=category("writing-translation"),
            budget=900_00,
        ),
        "admin": dict(
            title="Tidy up a Django admin",
            summary="Filters, search and permissions for an internal tool.",
            description="Our staff use the Django admin daily; it needs list filters, search fields and sane permissions.",
            skills=("Django",),
            category=web,
            budget=800_00,
        ),
        "secret": dict(
            title="Payments reconciliation",
            summary="Match bank settlements to invoices every night.",
            description="Our acquirer is Zephyrbank; settlements arrive as CSV at 02:00 and must match our ledger.",
            skills=("Python", "Data Engineering"),
            category=web,
            budget=5_000_00,
            is_confidential=True,
        ),
    }
    made = {}
    for key, spec in specs.items():
        spec = dict(spec)
        budget = spec.pop("budget")
        skills = skills_named(*spec.pop("skills"))
        made[key] = open_project(skills=skills, budget_min_cents=budget, budget_max_cents=budget, **spec)
    return made


def keys(catalogue: dict[str, Project], query: str, **filters) -> list[str]:
    by_pk = {project.pk: key for key, project in catalogue.items()}
    return [by_pk[p.pk] for p in project_search(SearchFilters(query=query, **filters))]


@pytest.mark.parametrize(
    ("query", "expected_first"),
    [
        ("stripe payouts", "payouts"),
        ("django api bookings", "clinic"),
        ("postgresql upgrade", "upgrade"),
        ("logo", "logo"),
        ("german translation", "german"),
    ],
)
def test_the_expected_project_ranks_first(catalogue, query, expected_first):
    results = keys(catalogue, query)
    assert results, f"nothing found for {query!r}"
    assert results[0] == expected_first, results


def test_a_title_match_outranks_a_mention_in_the_description(catalogue):
    # "dashboard" is the IoT project's title and an aside in the clinic project's description
    assert keys(catalogue, "dashboard") == ["iot", "clinic"]
    # "booking" is the clinic project's subject and a detail of the translation job
    assert keys(catalogue, "booking") == ["clinic", "german"]


def test_english_stemming_matches_other_forms_of_a_word(catalogue):
    assert keys(catalogue, "clinic booking")[0] == "clinic"  # bookings
    assert keys(catalogue, "migrating database") == ["upgrade"]  # Migrate
    assert keys(catalogue, "translating")[0] == "german"  # Translate
    assert keys(catalogue, "upgrading")[0] == "upgrade"  # upgrade


def test_a_word_typed_short_matches_longer_words_that_start_with_it(catalogue):
    assert keys(catalogue, "postgres") == ["upgrade"]  # PostgreSQL
    assert keys(catalogue, "postgres upgrade") == ["upgrade"]
    assert set(keys(catalogue, "djang")) == {"payouts", "clinic", "admin"}
    assert keys(catalogue, "dashb react") == ["iot"]
    # words shorter than four letters match whole words only, so "pay" is not "payouts" or "payments"
    assert keys(catalogue, "pay") == ["payouts"]  # "Pay sellers out"
    assert keys(catalogue, "ap") == []
    # and websearch syntax keeps its exact meaning: no prefixes inside quotes or with exclusions
    assert keys(catalogue, '"postgres"') == []
    assert set(keys(catalogue, "djang -stripe")) == set()


def test_every_word_must_match(catalogue):
    assert set(keys(catalogue, "django")) == {"payouts", "clinic", "admin"}
    assert keys(catalogue, "django stripe") == ["payouts"]
    assert keys(catalogue, "django kubernetes") == []


def test_websearch_syntax(catalogue):
    # minus excludes
    assert set(keys(catalogue, "django -stripe")) == {"clinic", "admin"}
    # quotes ask for a phrase
    assert keys(catalogue, '"react dashboard"') == ["iot"]
    assert keys(catalogue, '"dashboard react"') == []
    # "or" widens
    assert set(keys(catalogue, "logo or translate")) == {"logo", "german"}


def test_input_that_is_not_a_query_is_harmless(catalogue):
    # stop words only, stray operators and quotes: no error, and no random results
    assert keys(catalogue, "the and of") == []
    assert keys(catalogue, '"unclosed -') == []
    assert keys(catalogue, "'); drop table marketplace_project; --") == []
    assert Project.objects.count() == 8


def test_a_word_only_in_a_confidential_description_finds_nothing(catalogue):
    assert keys(catalogue, "zephyrbank") == []
    assert keys(catalogue, "settlements ledger") == []
    # what the public page shows (title, summary, skills) stays findable
    assert keys(catalogue, "reconciliation") == ["secret"]
    assert keys(catalogue, "bank settlements") == ["secret"]


def test_filters_and_sorting_apply_to_search_results(catalogue):
    django, react = (skill.pk for skill in skills_named("Django", "React"))
    # several skills: each project once, still ranked
    assert sorted(keys(catalogue, "django", skills=(django, react))) == ["admin", "clinic", "payouts"]
    assert keys(catalogue, "django", sort="budget_high") == ["clinic", "payouts", "admin"]
    assert keys(catalogue, "django", budget_max_cents=1_000_00) == ["admin"]
    assert keys(catalogue, "logo", category=category("design-creative").pk) == ["logo"]
    assert keys(catalogue, "logo", category=category("web-software-development").pk) == []


def test_closed_and_invite_only_projects_are_not_found(catalogue):
    Project.objects.filter(pk=catalogue["logo"].pk).update(status=Project.Status.CLOSED)
    Project.objects.filter(pk=catalogue["iot"].pk).update(visibility=Project.Visibility.INVITE_ONLY)
    assert keys(catalogue, "logo") == []
    assert keys(catalogue, "dashboard") == ["clinic"]


def test_the_gin_index_exists():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = %s", [GIN_INDEX])
        assert cursor.fetchall() == [(GIN_INDEX,)]
        # and the expression index it replaced, which made every search parse the text again, is gone
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = 'marketplace_project_search_gin'")
        assert cursor.fetchall() == []


def many_data_entry_projects(template: Project, count: int, *, word: str = "spreadsheet") -> None:
    """Bulk rows as a data import writes them: no service, so only the trigger can fill the vector."""
    Project.objects.bulk_create(
        Project(
            client=template.client,
            title=f"Data entry batch {i}",
            summary="Copy figures from scanned forms into a spreadsheet.",
            description="Routine work, clear instructions.",
            category=template.category,
            budget_min_cents=100_00,
            budget_max_cents=100_00,
            duration_days=5,
            apply_by=template.apply_by,
            status=Project.Status.OPEN,
            published_at=template.published_at,
            expires_at=template.expires_at,
            search_text=f"Data entry batch {i}\n{word}\nCopy figures from scanned forms.",
        )
        for i in range(count)
    )


def test_the_search_query_uses_the_gin_index(catalogue):
    # given a realistic table: hundreds of open projects, statistics gathered, so that "status = open"
    # is known to match almost every row and only the text condition is selective
    many_data_entry_projects(catalogue["admin"], 400)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE marketplace_project")
        # and sequential scans ruled out, as the brief for this check asks
        cursor.execute("SET LOCAL enable_seqscan = off")
        # and plain index scans too (any btree can be walked in full with a filter), which leaves the
        # planner a bitmap scan, and only an index on the stored vector can give it one
        cursor.execute("SET LOCAL enable_indexscan = off")
    # when the text condition project_search() filters on is planned on its own (the other
    # conditions have their own indexes, which a busy planner may prefer on a small table)
    text_only = Project.objects.filter(
        search_vector=SearchQuery("stripe payouts", config="english", search_type="websearch")
    ).order_by()
    plan = text_only.explain()
    # then it goes through the GIN index on the stored vector
    assert GIN_INDEX in plan, plan
    search = project_search(SearchFilters(query="stripe payouts"))
    assert [p.pk for p in search] == [catalogue["payouts"].pk]


def test_the_open_project_list_walks_the_partial_index_newest_first(catalogue):
    # given many open projects with statistics gathered
    many_data_entry_projects(catalogue["admin"], 400)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE marketplace_project")
        cursor.execute("SET LOCAL enable_seqscan = off")
    # when the first page of the list is planned
    plan = project_search(SearchFilters())[:20].explain()
    # then it reads the partial index in its order: no sort of every open project
    assert LIST_INDEX in plan, plan
    assert "Sort" not in plan.split(LIST_INDEX)[0], plan


def test_rows_written_without_the_services_are_found_too(catalogue):
    # given projects written in bulk, and a title changed by a queryset update (no save(), no service)
    many_data_entry_projects(catalogue["admin"], 3, word="quokkaform")
    Project.objects.filter(pk=catalogue["logo"].pk).update(title="Wombat logo for a bakery")
    # then the trigger has parsed both, so search finds them, the new title ranking first
    assert len(project_search(SearchFilters(query="quokkaform"))) == 3
    assert keys(catalogue, "wombat") == ["logo"]
    # and a status change leaves the vector as it was
    Project.objects.filter(pk=catalogue["logo"].pk).update(status=Project.Status.FILLED)
    assert Project.objects.get(pk=catalogue["logo"].pk).search_vector


def test_a_common_word_ranks_the_newest_window_and_the_count_says_more(catalogue, monkeypatch):
    # given a window of five and seven projects that say "django" (three in the catalogue, four more)
    monkeypatch.setattr(search, "SEARCH_WINDOW", 5)
    many_data_entry_projects(catalogue["admin"], 4, word="Django")
    results = project_search(SearchFilters(query="django"))
    paginator = SearchPaginator(results, 2)
    # then the count stops at the window and says there are more
    assert (paginator.count, paginator.more, paginator.num_pages) == (5, True, 3)
    # and each page is a slice of the same ranked window: no project twice, none beyond the window
    seen = [p.pk for number in paginator.page_range for p in paginator.page(number)]
    assert len(seen) == len(set(seen)) == 5
    # and a search that fits the window counts exactly
    exact = SearchPaginator(project_search(SearchFilters(query="stripe")), 2)
    assert (exact.count, exact.more) == (1, False)


def test_ranking_within_the_window_puts_the_title_match_first(catalogue, monkeypatch):
    # given more "booking" matches than a window of three: older bulk rows that mention it once,
    # and the clinic project (booking in its title) and the translation job (a detail) posted since
    monkeypatch.setattr(search, "SEARCH_WINDOW", 3)
    many_data_entry_projects(catalogue["admin"], 4, word="booking")
    Project.objects.filter(pk__in=[catalogue["clinic"].pk, catalogue["german"].pk]).update(published_at=timezone.now())
    results = list(project_search(SearchFilters(query="booking")))
    # then the newest matches are ranked, the clinic project first and the translation job second
    assert [p.pk for p in results[:2]] == [catalogue["clinic"].pk, catalogue["german"].pk]
    assert len(results) == 4  # the window and one more, which only tells a count there are more


def test_a_skill_and_budget_filter_finds_each_project_once_without_distinct(catalogue):
    django, rest = (skill.pk for skill in skills_named("Django", "Django REST Framework"))
    results = project_search(SearchFilters(skills=(django, rest), budget_min_cents=1_000_00))
    # the clinic project has both skills and appears once
    assert sorted(p.title for p in results) == sorted([catalogue["payouts"].title, catalogue["clinic"].title])
    assert "DISTINCT" not in str(results.query)


def test_a_phrase_expected_in_many_projects_reads_the_newest_only_and_the_count_says_more(catalogue, monkeypatch):
    # given the IoT dashboard posted weeks ago, a newer project with the same phrase, and a phrase
    # PostgreSQL expects in more projects than the GIN path should check one by one
    Project.objects.filter(pk=catalogue["iot"].pk).update(published_at=timezone.now() - timedelta(days=20))
    newer = open_project(title="React dashboard for a bakery's orders")
    monkeypatch.setattr(search, "GIN_RECHECK_LIMIT", 0)
    monkeypatch.setattr(search, "SEARCH_SCAN", 3)
    # when someone searches for the phrase
    results = project_search(SearchFilters(query='"react dashboard"'))
    # then the match among the newest projects is found, the older one is left out, and the count
    # says there may be more
    assert [project.pk for project in results] == [newer.pk]
    assert SearchPaginator(results, 20).more
    # and when few rows are expected, the GIN path finds both
    monkeypatch.setattr(search, "GIN_RECHECK_LIMIT", 3000)
    found = project_search(SearchFilters(query='"react dashboard"'))
    assert {project.pk for project in found} == {newer.pk, catalogue["iot"].pk}
    assert not SearchPaginator(found, 20).more


def test_the_page_says_when_only_the_newest_projects_were_searched(catalogue, monkeypatch, client):
    # given a phrase whose search stops at the newest three open projects
    Project.objects.filter(pk=catalogue["iot"].pk).update(published_at=timezone.now() - timedelta(days=20))
    open_project(title="React dashboard for a bakery's orders")
    monkeypatch.setattr(search, "GIN_RECHECK_LIMIT", 0)
    monkeypatch.setattr(search, "SEARCH_SCAN", 3)
    # when someone searches for it
    page = text(client.get(reverse("project_search"), {"q": '"react dashboard"'}))
    # then the page says how far it looked and how to reach older projects
    assert "1 match among the newest 3 open projects. Add words or a filter to search older ones." in page
