"""Reads for the market, scoped to who is asking: an object you may not see is simply not found."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.functional import cached_property

from accounts.models import Skill, User
from marketplace.models import (
    Interview,
    InterviewSlot,
    Invitation,
    NdaAcceptance,
    Project,
    Proposal,
    ProposalAttachment,
    ProposedMilestone,
    ScreeningQuestion,
)

PUBLISHED = (Project.Status.OPEN, Project.Status.FILLED, Project.Status.CLOSED)
# Published at some point: a draft its client deleted is closed too, but nobody else ever saw it.
WAS_PUBLISHED = Q(status__in=PUBLISHED, published_at__isnull=False)
DISCARDED = Q(status=Project.Status.CLOSED, published_at__isnull=True)


def projects_visible_to(user) -> QuerySet[Project]:
    """Public published projects for everyone; drafts only for their client; invite-only ones
    for the client, invited freelancers and freelancers who proposed."""
    published_public = WAS_PUBLISHED & Q(visibility=Project.Visibility.PUBLIC)
    if not user.is_authenticated:
        return Project.objects.filter(published_public)
    involved = WAS_PUBLISHED & (
        Q(Exists(Invitation.objects.filter(project=OuterRef("pk"), freelancer=user)))
        | Q(Exists(Proposal.objects.filter(project=OuterRef("pk"), freelancer=user)))
    )
    return Project.objects.filter(published_public | (Q(client=user) & ~DISCARDED) | involved)


def project_detail_queryset(user) -> QuerySet[Project]:
    return (
        projects_visible_to(user)
        .select_related("client", "client__client_profile", "category")
        .prefetch_related(Prefetch("skills", queryset=Skill.objects.order_by("name")), "questions", "attachments")
    )


def can_view_confidential(project: Project, user) -> bool:
    """The full brief of a confidential project: its client, invited freelancers, and
    freelancers who accepted its NDA."""
    if not project.is_confidential:
        return True
    if not user.is_authenticated:
        return False
    if user.pk == project.client_id:
        return True
    return (
        Invitation.objects.filter(project=project, freelancer=user).exclude(status=Invitation.Status.DECLINED).exists()
        or NdaAcceptance.objects.filter(project=project, freelancer=user).exists()
    )


@dataclass(frozen=True)
class ProposalBlock:
    """Why a person cannot propose on a project; `kind` names the rule, so a page can say what to do."""

    kind: str
    message: str


def proposal_blocked_reason(project: Project, user: User, *, now: datetime | None = None) -> ProposalBlock | None:
    """Why this person cannot propose on this project now, or None when they may."""
    if not user.is_freelancer:
        return ProposalBlock("role", "Choose “I want to work” and complete your profile before proposing.")
    if user.is_suspended:
        return ProposalBlock("suspended", "Your account is suspended, so you cannot send proposals.")
    if project.client_id == user.pk:
        return ProposalBlock("own_project", "You cannot propose on your own project.")
    profile = getattr(user, "freelancer_profile", None)
    if profile is None or not profile.is_complete:
        return ProposalBlock(
            "profile",
            "Complete your freelancer profile (headline, bio and rate) before proposing; clients read it first.",
        )
    if not project.accepts_proposals_at(now or timezone.now()):
        return ProposalBlock("closed", "This project is not taking proposals any more.")
    invitation = Invitation.objects.filter(project=project, freelancer=user).first()
    if project.visibility == Project.Visibility.INVITE_ONLY and invitation is None:
        return ProposalBlock("invite_only", "This project takes proposals only from freelancers the client invited.")
    if invitation is not None and invitation.status == Invitation.Status.DECLINED:
        return ProposalBlock("invitation_declined", "You declined the invitation to this project.")
    if project.is_confidential and not can_view_confidential(project, user):
        return ProposalBlock("nda", "Accept the project's NDA to read the full brief before proposing.")
    if Proposal.objects.filter(project=project, freelancer=user).exists():
        return ProposalBlock("proposed", "You already sent a proposal for this project. Edit it instead.")
    return None


def client_projects(user) -> QuerySet[Project]:
    """The client's own projects, drafts included; a draft they deleted is gone for them."""
    return (
        Project.objects.filter(client=user)
        .exclude(DISCARDED)
        .annotate(
            proposal_count=Count("proposals", filter=~Q(proposals__status=Proposal.Status.WITHDRAWN), distinct=True),
            new_proposal_count=Count("proposals", filter=Q(proposals__status=Proposal.Status.SUBMITTED), distinct=True),
        )
        .order_by("-created_at", "-pk")
    )


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
    """Open public projects not yet expired: what anyone can find (the partial indexes hold these)."""
    return Project.objects.filter(status=Project.Status.OPEN, visibility=Project.Visibility.PUBLIC).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def _text_search(projects: QuerySet[Project], query: str) -> tuple[QuerySet[Project], Any]:
    """The projects matching the words, and what ranks them (best first)."""
    if connection.vendor == "postgresql":
        search = SearchQuery(query, config="english", search_type="websearch")
        prefixes = _prefix_tsquery(query)
        if prefixes:
            search |= SearchQuery(prefixes, config="english", search_type="raw")
        return projects.filter(search_vector=search), SearchRank(F("search_vector"), search)
    words = [word for word in query.split() if word][:8]
    for word in words:
        projects = projects.filter(search_text__icontains=word)
    title_hits = Q()
    for word in words:
        title_hits |= Q(title__icontains=word)
    return projects, Case(When(title_hits, then=Value(1)), default=Value(0), output_field=IntegerField())


def project_search(filters: SearchFilters, *, now: datetime | None = None) -> QuerySet[Project] | RankedProjects:
    """Open public projects matching the filters, in a fixed number of queries per page.

    PostgreSQL: full-text search over the stored search_vector (title weighted A; skills, summary
    and description B) through its GIN index; words of four letters or more also match as prefixes
    ("postgres" finds PostgreSQL). SQLite: every word must appear in search_text; title matches
    rank first. A text search ranks (or sorts) the newest SEARCH_WINDOW matches only, in one query
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
    def more(self) -> bool:
        return self.counted > SEARCH_WINDOW or getattr(self.object_list, "truncated", False)


def _proposal_ids_of(user) -> QuerySet[Proposal]:
    """The ids of the proposals the user wrote or received, as a UNION of two indexed lookups: an OR
    across the proposal's freelancer and its project's client makes PostgreSQL scan every row."""
    wrote = Proposal.objects.order_by().filter(freelancer=user).values("pk")
    received = Proposal.objects.order_by().filter(project__client=user).values("pk")
    return wrote.union(received, all=True)  # one person is never both sides of one proposal


def proposals_for_user(user) -> QuerySet[Proposal]:
    """Proposals the user wrote or received on their projects."""
    return Proposal.objects.filter(pk__in=_proposal_ids_of(user)).select_related(
        "project", "project__client", "freelancer", "freelancer__freelancer_profile"
    )


def proposal_answers(proposal: Proposal) -> list[tuple[ScreeningQuestion, str]]:
    """The project's screening questions, each with the proposal's answer ("" when unanswered), in
    one query: the answer is joined to its question (one answer per proposal and question)."""
    questions = (
        ScreeningQuestion.objects.filter(project_id=proposal.project_id)
        .annotate(answer=FilteredRelation("answers", condition=Q(answers__proposal=proposal)))
        .annotate(answer_text=F("answer__text"))
    )
    return [(question, question.answer_text or "") for question in questions]


def proposal_contents(proposal: Proposal) -> tuple[list[ProposedMilestone], list[ProposalAttachment]]:
    """The proposal's milestones (in order) and attachments, in one query: a UNION ALL of both
    short lists, so a proposal page does not pay a query for each."""
    milestones = proposal.milestones.order_by().values_list(
        Value("milestone", output_field=CharField()), "pk", "position", "title", "amount_cents", "due_date"
    )
    attachments = proposal.attachments.order_by().values_list(
        Value("attachment", output_field=CharField()),
        "pk",
        "pk",
        "original_name",
        "size",
        Value(None, output_field=DateField()),
    )
    found_milestones, found_attachments = [], []
    rows = sorted(milestones.union(attachments, all=True), key=lambda row: (row[0], row[2], row[1]))
    for kind, pk, position, name, number, day in rows:
        if kind == "milestone":
            found_milestones.append(
                ProposedMilestone(
                    pk=pk, proposal=proposal, position=position, title=name, amount_cents=number, due_date=day
                )
            )
        else:
            found_attachments.append(ProposalAttachment(pk=pk, proposal=proposal, original_name=name, size=number))
    return found_milestones, found_attachments


def proposal_interviews(proposal: Proposal, *, user) -> QuerySet[Interview]:
    """The interviews about a proposal the user is a party to, newest first, each with the number of
    times still open (`open_slot_count`) counted in the same query rather than prefetched."""
    return (
        interviews_for_user(user)
        .filter(proposal=proposal)
        .prefetch_related(None)
        .annotate(open_slot_count=Count("slots", filter=Q(slots__is_open=True)))
        .order_by("-created_at", "-pk")
    )


def proposals_for_project(project: Project) -> QuerySet[Proposal]:
    return (
        project.proposals.exclude(status=Proposal.Status.WITHDRAWN)
        .select_related("freelancer", "freelancer__freelancer_profile")
        .order_by("-created_at", "-pk")
    )


def invitations_for_freelancer(user) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        freelancer=user, project__status__in=PUBLISHED, project__published_at__isnull=False
    ).select_related("project", "project__client", "project__client__client_profile")


def interviews_for_user(user) -> QuerySet[Interview]:
    return (
        Interview.objects.filter(proposal_id__in=_proposal_ids_of(user))
        .select_related(
            "proposal", "proposal__project", "proposal__project__client", "proposal__freelancer", "offered_by"
        )
        .prefetch_related(Prefetch("slots", queryset=InterviewSlot.objects.filter(is_open=True).order_by("starts_at")))
    )


@dataclass(frozen=True)
class ClientTrust:
    """A client's record as freelancers see it. None means "not known yet", never zero."""

    member_since: datetime
    payment_verified: bool
    projects_posted: int
    hires: int
    decided_projects: int  # filled or closed: the projects a hire rate can be judged on
    hire_rate_percent: int | None
    total_spent_cents: int | None
    review_count: int | None
    average_days_to_approve: float | None
    tests_to_longer_percent: int | None


# Figures that other apps record (money spent, approval speed, follow-on work) reach the trust
# panel through providers they register, so the market never imports them.
_trust_providers: list = []


def register_trust_provider(provider) -> None:
    """provider(client_ids) -> {client_id: {ClientTrust field: value}}, in a fixed number of queries."""
    _trust_providers.append(provider)


def client_trusts(clients: list[User]) -> dict[int, ClientTrust]:
    """The trust figures of many clients in a fixed number of queries, keyed by user id."""
    ids = [client.pk for client in clients]
    decided_statuses = [Project.Status.FILLED, Project.Status.CLOSED]
    project_counts = {
        row["client_id"]: row
        # Only projects freelancers could see: a deleted draft was never posted.
        for row in Project.objects.filter(WAS_PUBLISHED, client_id__in=ids)
        .values("client_id")
        .annotate(
            projects=Count("pk", distinct=True),
            decided=Count("pk", filter=Q(status__in=decided_statuses), distinct=True),
            decided_with_hire=Count(
                "pk", filter=Q(status__in=decided_statuses, proposals__status=Proposal.Status.HIRED), distinct=True
            ),
        )
    }
    hire_counts = dict(
        Proposal.objects.filter(project__client_id__in=ids, status=Proposal.Status.HIRED)
        .values("project__client_id")
        .annotate(n=Count("pk"))
        .values_list("project__client_id", "n")
    )
    extra: dict[int, dict] = {}
    for provider in _trust_providers:
        for client_id, figures in provider(ids).items():
            extra.setdefault(client_id, {}).update(figures)
    trusts = {}
    for client in clients:
        counts = project_counts.get(client.pk, {"projects": 0, "decided": 0, "decided_with_hire": 0})
        decided = counts["decided"]
        profile = getattr(client, "client_profile", None)
        trusts[client.pk] = ClientTrust(
            member_since=client.date_joined,
            payment_verified=bool(profile and profile.payment_method_verified_at),
            projects_posted=counts["projects"],
            hires=hire_counts.get(client.pk, 0),
            decided_projects=decided,
            hire_rate_percent=round(100 * counts["decided_with_hire"] / decided) if decided else None,
            # Money, approvals and follow-on contracts are recorded by contracts (a provider);
            # reviews arrive with the reviews app.
            total_spent_cents=extra.get(client.pk, {}).get("total_spent_cents"),
            review_count=None,
            average_days_to_approve=extra.get(client.pk, {}).get("average_days_to_approve"),
            tests_to_longer_percent=extra.get(client.pk, {}).get("tests_to_longer_percent"),
        )
    return trusts


# A client's trust panel is the same for every viewer and costs several aggregate queries over
# their whole history: it is kept this long per client. A project published or ended forgets it at
# once; money and approvals recorded elsewhere show on the panel within these seconds.
TRUST_CACHE_SECONDS = 5


def _trust_key(client_id: int) -> str:
    return f"marketplace:trust:{client_id}"


def client_trust_forget(client_id: int) -> None:
    """The client's projects changed: the next trust panel counts again."""
    cache.delete(_trust_key(client_id))
    transaction.on_commit(lambda: cache.delete(_trust_key(client_id)))


def client_trust(client: User) -> ClientTrust:
    """The client's trust figures, from the cache when worked out in the last few seconds."""
    key = _trust_key(client.pk)
    trust = cache.get(key)
    if trust is None:
        trust = client_trusts([client])[client.pk]
        cache.set(key, trust, TRUST_CACHE_SECONDS)
    return trust


def confidential_access_log(project: Project, *, viewer) -> tuple[list, list]:
    """(accesses, NDA acceptances) of a confidential project, for its client only."""
    if viewer.pk != project.client_id or not project.is_confidential:
        return [], []
    accesses = list(project.confidential_accesses.select_related("user", "attachment")[:200])
    acceptances = list(project.nda_acceptances.select_related("freelancer").order_by("-accepted_at"))
    return accesses, acceptances


def invitations_sent_by(user) -> QuerySet[Invitation]:
    """Invitations to the user's own projects."""
    return Invitation.objects.filter(project__client=user).select_related(
        "project", "freelancer", "freelancer__freelancer_profile"
    )


def freelancer_search(*, query: str = "", skill_ids: tuple[int, ...] = ()) -> QuerySet:
    from accounts.selectors import public_freelancer_profiles

    profiles = public_freelancer_profiles()
    if skill_ids:
        profiles = profiles.filter(skills__in=skill_ids).distinct()
    for word in query.split()[:8]:
        profiles = profiles.filter(
            Q(headline__icontains=word) | Q(bio__icontains=word) | Q(user__full_name__icontains=word)
        )
    return profiles.order_by("-updated_at", "-pk")
