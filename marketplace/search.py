"""Project search and the open project list: filters, full-text ranking over the stored search
vector, and a window of the newest matches that bounds every count and page."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.functional import cached_property

from accounts.models import Skill
from marketplace import websearch
from marketplace.models import Project


@dataclass(frozen=True)
class SearchFilters:
    query: str = ""
    skills: tuple[int, ...] = ()
    category: int | None = None
    budget_min_cents: int | None = None
    budget_max_cents: int | None = None
    test_only: bool = False
    posted_within_days: int | None = None
    payment_verified: bool = False
    sort: str = "relevance"  # relevance | newest | budget_high | budget_low


PREFIX_MIN_LENGTH = 4  # shorter words ("go", "ui") match whole words only, or they would match everything


def _prefix_tsquery(query: str) -> str | None:
    """A plain query ("postgres upgrade") also matches longer words that start with what was typed
    ("PostgreSQL", "upgrades"). Queries that use websearch syntax (quotes, -exclusions, or) mean
    exactly what they say and get no prefixes. Built from word characters only, so nothing the
    person types can reach to_tsquery's own syntax."""
    if re.search(r'["\-]|\bor\b', query, flags=re.IGNORECASE):
        return None
    words = re.findall(r"\w+", query)[:8]
    terms = [f"{word}:*" if len(word) >= PREFIX_MIN_LENGTH else word for word in words]
    return " & ".join(terms) or None


# A text search ranks the newest this many matches, and every project list counts up to it: past
# it a count says "more than", and pages stop. Ranking a bounded window keeps a word found in most
# projects as fast as a rare one; the newest matches are the ones still worth proposing on.
SEARCH_WINDOW = 1000

# A text search that PostgreSQL expects to match more than GIN_RECHECK_LIMIT projects reads at most
# the newest SEARCH_SCAN open projects, newest first: enough to fill the window for anything found in
# one project in five. A quoted phrase of common words ("react dashboard") is expected as often as
# all its words together, and its GIN path would read every such project to check the word order,
# so its results stop at the newest projects. Fewer expected rows go through the GIN index in full.
SEARCH_SCAN = 5000
GIN_RECHECK_LIMIT = 3000

# What a list card shows never needs the long texts; leaving them out keeps each row small.
LIST_DEFERRED = ("description", "acceptance_criteria", "follow_on_plan", "nda_text", "search_text", "search_vector")


def _as_cards(projects: QuerySet[Project]) -> QuerySet[Project]:
    """What a result card or a list item shows, in a fixed number of queries."""
    return (
        projects.defer(*LIST_DEFERRED)
        .select_related("client", "client__client_profile", "category")
        .prefetch_related(Prefetch("skills", queryset=Skill.objects.order_by("name")))
    )


def _listed_projects(now: datetime) -> QuerySet[Project]:
    """Open public projects not yet expired nor hidden by a moderator: what anyone can find (the
    partial indexes hold these)."""
    return Project.objects.filter(
        status=Project.Status.OPEN, visibility=Project.Visibility.PUBLIC, hidden_at__isnull=True
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def _text_search(projects: QuerySet[Project], query: str) -> tuple[QuerySet[Project], Any]:
    """The projects matching the words, and what ranks them (best first)."""
    if connection.vendor == "postgresql":
        search = SearchQuery(query, config="english", search_type="websearch")
        prefixes = _prefix_tsquery(query)
        if prefixes:
            search |= SearchQuery(prefixes, config="english", search_type="raw")
        return projects.filter(search_vector=search), SearchRank(F("search_vector"), search)
    # The same syntax without full-text search: marketplace/websearch.py reads it as PostgreSQL does.
    condition, patterns = websearch.to_q(query, "search_text")
    title_hits = Q()
    for pattern in patterns:
        title_hits |= Q(title__iregex=pattern)
    if not patterns:
        return projects.filter(condition), Value(0, output_field=IntegerField())
    ranked = Case(When(title_hits, then=Value(1)), default=Value(0), output_field=IntegerField())
    return projects.filter(condition), ranked


def project_search(filters: SearchFilters, *, now: datetime | None = None) -> QuerySet[Project] | RankedProjects:
    """Open public projects matching the filters, in a fixed number of queries per page.

    PostgreSQL: full-text search over the stored search_vector (title weighted A; skills, summary
    and description B) through its GIN index; words of four letters or more also match as prefixes
    ("postgres" finds PostgreSQL). SQLite: the same syntax read by marketplace/websearch.py over
    search_text; title matches rank first. A text search ranks (or sorts) the newest SEARCH_WINDOW matches only, in one query
    that returns their ids (RankedProjects); a list without words is a queryset sorted in full
    through the partial indexes. Count either with SearchPaginator.
    """
    now = now or timezone.now()
    projects = _listed_projects(now)
    if filters.skills:
        # EXISTS on the through table: each project once, without DISTINCT over whole rows.
        projects = projects.filter(
            Exists(Project.skills.through.objects.filter(project_id=OuterRef("pk"), skill_id__in=filters.skills))
        )
    if filters.category:
        projects = projects.filter(category_id=filters.category)
    if filters.budget_min_cents is not None:
        projects = projects.filter(budget_max_cents__gte=filters.budget_min_cents)
    if filters.budget_max_cents is not None:
        projects = projects.filter(budget_min_cents__lte=filters.budget_max_cents)
    if filters.test_only:
        projects = projects.filter(kind=Project.Kind.TEST)
    if filters.posted_within_days:
        projects = projects.filter(published_at__gte=now - timedelta(days=filters.posted_within_days))
    if filters.payment_verified:
        projects = projects.filter(client__client_profile__payment_method_verified_at__isnull=False)
    newest = ["-published_at", "-pk"]
    order = {
        "newest": newest,
        "budget_high": ["-budget_max_cents", *newest],
        "budget_low": ["budget_min_cents", *newest],
    }.get(filters.sort)
    query = filters.query.strip()
    if query:
        matches, rank = _text_search(projects, query)
        # The newest matches come off the list index (a common word) or the GIN index and a short
        # sort (a rare one), each vector read once, with its rank; one more than the window, so a
        # count can tell "more than" apart. Ordering a thousand small tuples here costs less than
        # reading the vectors a second time for a count.
        window, truncated = _search_window(projects, matches, rank, newest=newest)
        if filters.sort == "budget_high":
            window.sort(key=lambda row: (row[4], row[2], row[0]), reverse=True)
        elif filters.sort == "budget_low":
            window.sort(key=lambda row: (-row[3], row[2], row[0]), reverse=True)
        elif filters.sort != "newest":
            window.sort(key=lambda row: (row[1], row[2], row[0]), reverse=True)
        return RankedProjects([row[0] for row in window], _as_cards(Project.objects.all()), truncated=truncated)
    return _as_cards(projects).order_by(*(order or newest))


def _search_window(projects, matches, rank, *, newest: list[str]) -> tuple[list[tuple], bool]:
    """The newest SEARCH_WINDOW + 1 matches with their rank, and whether older matches were left out.

    Few expected rows: the GIN index and a short sort. Many: the list's index, newest first, down to
    the SEARCH_SCAN-th newest open project at most; a common word fills the window long before, and a
    phrase of common words (which PostgreSQL expects as often as all its words together) stops
    there, leaving older matches out (the page says "more than")."""
    fields = ("pk", "rank", "published_at", "budget_min_cents", "budget_max_cents")
    ranked = matches.order_by(*newest).annotate(rank=rank).values_list(*fields)
    if connection.vendor != "postgresql" or _estimated_rows(matches) <= GIN_RECHECK_LIMIT:
        return list(ranked[: SEARCH_WINDOW + 1]), False
    boundary = _scan_boundary()
    if boundary is None:  # fewer open projects than a scan: the walk is bounded already
        return list(ranked[: SEARCH_WINDOW + 1]), False
    window = list(ranked.filter(published_at__gte=boundary)[: SEARCH_WINDOW + 1])
    return window, len(window) <= SEARCH_WINDOW


# How far back the newest SEARCH_SCAN open projects go moves only as projects are published or
# close; a few seconds stale shifts the depth of a scan by a few projects, so it is kept a while.
SCAN_BOUNDARY_SECONDS = 30


def _scan_boundary() -> datetime | None:
    """When the SEARCH_SCAN-th newest open public project was published (None: there are fewer)."""
    key = f"search:scan-boundary:{SEARCH_SCAN}"
    cached = cache.get(key)
    if cached is not None:
        return cached[0]
    listed = Project.objects.filter(status=Project.Status.OPEN, visibility=Project.Visibility.PUBLIC)
    found = listed.order_by("-published_at", "-pk").values_list("published_at", flat=True)[SEARCH_SCAN - 1 :][:1]
    boundary = next(iter(found), None)
    cache.set(key, (boundary,), SCAN_BOUNDARY_SECONDS)
    return boundary


def _estimated_rows(queryset: QuerySet) -> float:
    """The rows PostgreSQL expects the query to return, from its plan (no rows are read). For a
    phrase it counts every project holding all the words: the rows its GIN path would check."""
    plan = json.loads(queryset.values("pk").explain(format="json"))
    return plan[0]["Plan"]["Plan Rows"]


class RankedProjects:
    """Search results in an order one query decided: their ids in memory, and a page fetches only
    its own rows (with their client, category and skills)."""

    def __init__(self, ids: list[int], rows: QuerySet[Project], *, truncated: bool = False):
        self.ids = ids
        self.rows = rows
        self.truncated = truncated  # older matches were left out: there may be more than `ids`

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1 or None][0]
        ids = self.ids[index]
        by_pk = {project.pk: project for project in self.rows.filter(pk__in=ids)} if ids else {}
        return [by_pk[pk] for pk in ids if pk in by_pk]

    def __iter__(self):
        return iter(self[:])


class SearchPaginator(Paginator):
    """Counts at most SEARCH_WINDOW projects, so neither the count nor a deep page costs more than
    the window; `more` says there were more than it counts, and pages stop there."""

    @cached_property
    def counted(self) -> int:
        if isinstance(self.object_list, RankedProjects):
            return len(self.object_list)
        return self.object_list[: SEARCH_WINDOW + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.counted, SEARCH_WINDOW)

    @property
    def truncated(self) -> bool:
        """Older matches were left out: only the newest `scanned` open projects were searched."""
        return getattr(self.object_list, "truncated", False)

    scanned = property(lambda self: SEARCH_SCAN)

    @property
    def more(self) -> bool:
        return self.counted > SEARCH_WINDOW or self.truncated
