"""Market factories: valid objects by default, state from arguments.

Two ways to make a project or a proposal:
- the factories write rows directly, in any state (`ProjectFactory(status=Project.Status.CLOSED,
  published=True)`), for tests that need a state no service reaches cheaply;
- `draft_project`, `open_project` and `submit_proposal` go through the services, for tests that
  care about what the services write (events, search text, notifications).
"""

from __future__ import annotations

from datetime import date, timedelta

import factory
from django.conf import settings
from django.utils import timezone

from accounts.models import Skill, SkillCategory, User
from marketplace.models import (
    Interview,
    InterviewSlot,
    Invitation,
    Project,
    Proposal,
    ProposedMilestone,
)
from marketplace.services import MilestoneTerms, project_create, project_publish, proposal_submit
from tests.factories import ClientProfileFactory, FreelancerProfileFactory

DEFAULT_SKILLS = ("Python", "Django")
WEB_CATEGORY_SLUG = "web-software-development"


def web_category() -> SkillCategory:
    return SkillCategory.objects.get(slug=WEB_CATEGORY_SLUG)


def skills_named(*names: str) -> list[Skill]:
    found = list(Skill.objects.filter(name__in=names))
    assert len(found) == len(names), f"unknown skills among {names}"
    return found


def new_client(**user_fields) -> User:
    return ClientProfileFactory(**({"user__" + key: value for key, value in user_fields.items()})).user


def new_freelancer(**user_fields) -> User:
    return FreelancerProfileFactory(**({"user__" + key: value for key, value in user_fields.items()})).user


def in_days(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


def search_text_for(project: Project, skills) -> str:
    """What the project services index; a confidential project's description stays out."""
    parts = [project.title, " ".join(skill.name for skill in skills), project.summary]
    if not project.is_confidential:
        parts.append(project.description)
    return "\n".join(parts)


class ProjectFactory(factory.django.DjangoModelFactory):
    """A project row written directly. Default: a public standard draft; traits: published, test,
    confidential, invite_only."""

    class Meta:
        model = Project
        skip_postgeneration_save = True

    class Params:
        published = factory.Trait(
            status=Project.Status.OPEN,
            published_at=factory.LazyFunction(timezone.now),
            expires_at=factory.LazyAttribute(lambda o: o.published_at + timedelta(days=settings.PROJECT_OPEN_DAYS)),
        )
        test = factory.Trait(
            kind=Project.Kind.TEST,
            budget_min_cents=300_00,
            budget_max_cents=300_00,
            duration_days=7,
            acceptance_criteria="The report lists every slow query with a fix, and the fixes pass CI.",
            follow_on_plan="A three-month retainer for the performance work.",
        )
        confidential = factory.Trait(is_confidential=True)
        invite_only = factory.Trait(visibility=Project.Visibility.INVITE_ONLY)

    client = factory.LazyFunction(new_client)
    kind = Project.Kind.STANDARD
    title = factory.Sequence(lambda n: f"Booking system for a physiotherapy clinic #{n}")
    summary = "A Django app where patients book and reschedule appointments."
    description = (
        "We run three clinics and take bookings by phone.\n"
        "We need online booking with reminders by email and a calendar view for the staff."
    )
    acceptance_criteria = ""
    follow_on_plan = ""
    category = factory.LazyFunction(web_category)
    budget_min_cents = 1_000_00
    budget_max_cents = factory.LazyAttribute(lambda o: o.budget_min_cents)
    duration_days = 30
    apply_by = factory.LazyFunction(lambda: in_days(14))
    status = Project.Status.DRAFT

    @factory.post_generation
    def skills(self, create, extracted, **kwargs):
        if not create:
            return
        chosen = list(extracted) if extracted is not None else skills_named(*DEFAULT_SKILLS)
        self.skills.set(chosen)
        self.search_text = search_text_for(self, chosen)
        Project.objects.filter(pk=self.pk).update(search_text=self.search_text)


def project_data(**overrides) -> dict:
    """Valid `data` for project_create: a standard fixed-price project; kind="test" makes a valid paid test."""
    data = {
        "kind": Project.Kind.STANDARD,
        "title": "Booking system for a physiotherapy clinic",
        "summary": "A Django app where patients book and reschedule appointments.",
        "description": "We take bookings by phone.\nWe need online booking with email reminders.",
        "acceptance_criteria": "",
        "follow_on_plan": "",
        "category": web_category(),
        "experience_level": Project.ExperienceLevel.INTERMEDIATE,
        "budget_min_cents": 1_000_00,
        "budget_max_cents": 1_000_00,
        "duration_days": 30,
        "apply_by": in_days(14),
        "visibility": Project.Visibility.PUBLIC,
        "is_confidential": False,
    }
    if overrides.get("kind") == Project.Kind.TEST:
        data.update(
            budget_min_cents=300_00,
            budget_max_cents=300_00,
            duration_days=7,
            acceptance_criteria="A profiling report and fixes for the three slowest pages.",
            follow_on_plan="A retainer if it goes well.",
        )
    data.update(overrides)
    return data


def draft_project(*, client: User | None = None, skills=None, questions=(), **overrides) -> Project:
    """A draft made by project_create (so it has its event row and search text)."""
    return project_create(
        client=client or new_client(),
        data=project_data(**overrides),
        skills=skills_named(*DEFAULT_SKILLS) if skills is None else skills,
        questions=list(questions),
    )


def open_project(*, client: User | None = None, skills=None, questions=(), **overrides) -> Project:
    """A published project made by project_create + project_publish."""
    project = draft_project(client=client, skills=skills, questions=questions, **overrides)
    return project_publish(project=project, by=project.client)


def milestones_for(bid_cents: int, count: int = 2, *, first_due_in_days: int = 10) -> list[MilestoneTerms]:
    """`count` milestones adding up to `bid_cents` (the last one takes the remainder)."""
    share = bid_cents // count
    amounts = [share] * (count - 1) + [bid_cents - share * (count - 1)]
    return [
        MilestoneTerms(title=f"Milestone {i}", amount_cents=amount, due_date=in_days(first_due_in_days * i))
        for i, amount in enumerate(amounts, start=1)
    ]


def submit_proposal(
    *,
    project: Project,
    freelancer: User | None = None,
    bid_cents: int | None = None,
    milestones: list[MilestoneTerms] | None = None,
    **overrides,
) -> Proposal:
    """A proposal made by proposal_submit: two milestones adding up to the bid (one on a paid test)."""
    if bid_cents is None:
        bid_cents = project.budget_max_cents
    if milestones is None:
        milestones = milestones_for(bid_cents, 1 if project.is_test else 2)
    kwargs = {
        "cover_letter": "I built two booking systems in Django; here is how I would do yours.",
        "duration_days": min(project.duration_days, 14) if project.is_test else project.duration_days,
        "answers": {},
    }
    kwargs.update(overrides)
    return proposal_submit(
        project=project,
        freelancer=freelancer or new_freelancer(),
        bid_cents=bid_cents,
        milestones=milestones,
        **kwargs,
    )


class ProposalFactory(factory.django.DjangoModelFactory):
    """A proposal row written directly, on an open project, with two milestones adding up to the bid.

    `milestones=[MilestoneTerms(...), ...]` sets them; the bid is then their sum unless given.
    """

    class Meta:
        model = Proposal
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory, published=True)
    freelancer = factory.LazyFunction(new_freelancer)
    cover_letter = "I have built this before; here is my plan."
    bid_cents = 1_000_00
    currency = "USD"
    duration_days = 20
    status = Proposal.Status.SUBMITTED

    @factory.post_generation
    def milestones(self, create, extracted, **kwargs):
        if not create:
            return
        chosen = list(extracted) if extracted is not None else milestones_for(self.bid_cents, 2)
        ProposedMilestone.objects.bulk_create(
            ProposedMilestone(
                proposal=self, position=i, title=m.title, amount_cents=m.amount_cents, due_date=m.due_date
            )
            for i, m in enumerate(chosen, start=1)
        )
        total = sum(m.amount_cents for m in chosen)
        if total != self.bid_cents:
            self.bid_cents = total
            Proposal.objects.filter(pk=self.pk).update(bid_cents=total)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    project = factory.SubFactory(ProjectFactory, published=True)
    freelancer = factory.LazyFunction(new_freelancer)
    message = "Your portfolio looks like a fit. Would you send a proposal?"
    status = Invitation.Status.PENDING


class InterviewFactory(factory.django.DjangoModelFactory):
    """An interview the client offered three times for (tomorrow, in two and three days at 10:00 UTC).

    `scheduled=True` makes it scheduled at the first of them.
    """

    class Meta:
        model = Interview
        skip_postgeneration_save = True

    class Params:
        scheduled = factory.Trait(
            status=Interview.Status.SCHEDULED,
            starts_at=factory.LazyFunction(lambda: slot_times(1)[0]),
        )

    proposal = factory.SubFactory(ProposalFactory)
    offered_by = factory.LazyAttribute(lambda o: o.proposal.project.client)
    status = Interview.Status.PROPOSED
    duration_minutes = 30

    @factory.post_generation
    def slots(self, create, extracted, **kwargs):
        if not create:
            return
        times = list(extracted) if extracted is not None else slot_times(3)
        InterviewSlot.objects.bulk_create(InterviewSlot(interview=self, starts_at=t) for t in times)


def slot_times(count: int, *, first_in_days: int = 1):
    """`count` interview times on consecutive days at 10:00 UTC, the first one `first_in_days` ahead."""
    base = (timezone.now() + timedelta(days=first_in_days)).replace(hour=10, minute=0, second=0, microsecond=0)
    return [base + timedelta(days=i) for i in range(count)]
