"""Reads for the market, scoped to who is asking: an object you may not see is simply not found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.db.models import (
    CharField,
    Count,
    DateField,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.utils import timezone

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
from marketplace.search import (  # noqa: F401  (search lives in its own module; these names stay importable here)
    LIST_DEFERRED,
    SEARCH_WINDOW,
    RankedProjects,
    SearchFilters,
    SearchPaginator,
    project_search,
)

PUBLISHED = (Project.Status.OPEN, Project.Status.FILLED, Project.Status.CLOSED)
# Published at some point: a draft its client deleted is closed too, but nobody else ever saw it.
WAS_PUBLISHED = Q(status__in=PUBLISHED, published_at__isnull=False)
DISCARDED = Q(status=Project.Status.CLOSED, published_at__isnull=True)


def projects_visible_to(user) -> QuerySet[Project]:
    """Public published projects for everyone; drafts only for their client; invite-only ones
    for the client, invited freelancers and freelancers who proposed. A project hidden by a
    moderator (or while its client is suspended) only for its client, who reads why."""
    published_public = WAS_PUBLISHED & Q(visibility=Project.Visibility.PUBLIC, hidden_at__isnull=True)
    if not user.is_authenticated:
        return Project.objects.filter(published_public)
    involved = (
        WAS_PUBLISHED
        & Q(hidden_at__isnull=True)
        & (
            Q(Exists(Invitation.objects.filter(project=OuterRef("pk"), freelancer=user)))
            | Q(Exists(Proposal.objects.filter(project=OuterRef("pk"), freelancer=user)))
        )
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
        return ProposalBlock(
            "suspended",
            "Your account is suspended, so you cannot send proposals. You can still sign in, read "
            "projects and your messages, and withdraw the money you have earned.",
        )
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
    # What those two are based on: milestones approved after delivery, completed paid tests.
    approvals_basis: int = 0
    tests_done: int = 0
    # Disputes on their contracts (from contracts): opened by them, against them, settled between
    # the parties, decided for or against them.
    disputes_opened: int | None = None
    disputes_against: int | None = None
    disputes_settled: int | None = None
    disputes_decided_for: int | None = None
    disputes_decided_against: int | None = None

    @property
    def disputes(self) -> int | None:
        if self.disputes_opened is None:
            return None
        return self.disputes_opened + (self.disputes_against or 0)


DISPUTE_FIGURES = (
    "disputes_opened",
    "disputes_against",
    "disputes_settled",
    "disputes_decided_for",
    "disputes_decided_against",
)

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
            # Money, approvals and follow-on contracts are recorded by contracts, reviews by reviews (providers).
            total_spent_cents=extra.get(client.pk, {}).get("total_spent_cents"),
            review_count=extra.get(client.pk, {}).get("review_count"),
            average_days_to_approve=extra.get(client.pk, {}).get("average_days_to_approve"),
            tests_to_longer_percent=extra.get(client.pk, {}).get("tests_to_longer_percent"),
            approvals_basis=extra.get(client.pk, {}).get("approvals_basis", 0),
            tests_done=extra.get(client.pk, {}).get("tests_done", 0),
            **{name: extra.get(client.pk, {}).get(name) for name in DISPUTE_FIGURES},
        )
    return trusts


# A freelancer's track record (job success, ratings, on-time delivery) is worked out by reviews,
# above the market: it reaches the client's list of proposals through the provider it registers.
_freelancer_figure_providers: list = []


def register_freelancer_figures(provider) -> None:
    """provider(freelancer_ids) -> {freelancer_id: {figure: value}}, in a fixed number of queries."""
    _freelancer_figure_providers.append(provider)


def freelancer_figures(freelancer_ids: list[int]) -> dict[int, dict]:
    figures: dict[int, dict] = {pk: {} for pk in freelancer_ids}
    for provider in _freelancer_figure_providers:
        for pk, values in provider(freelancer_ids).items():
            figures.setdefault(pk, {}).update(values)
    return figures


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
