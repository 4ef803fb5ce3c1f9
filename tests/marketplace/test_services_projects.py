"""Projects: drafting, editing, publishing, closing, NDAs; and the project selectors (who sees
what, the client trust panel, search on SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from core.exceptions import DomainError, InvalidTransition
from marketplace.models import (
    ConfidentialAccess,
    NdaAcceptance,
    Project,
    ProjectEvent,
    Proposal,
)
from marketplace.selectors import (
    SearchFilters,
    SearchPaginator,
    can_view_confidential,
    client_trust,
    client_trusts,
    project_search,
    projects_visible_to,
)
from marketplace.services import (
    confidential_access_record,
    invitation_send,
    project_close,
    project_create,
    project_nda_accept,
    project_publish,
    project_update,
)
from notifications.models import Notification
from tests.marketplace.factories import (
    InvitationFactory,
    ProjectFactory,
    ProposalFactory,
    draft_project,
    in_days,
    new_client,
    new_freelancer,
    open_project,
    project_data,
    skills_named,
    web_category,
)

pytestmark = pytest.mark.django_db

FROZEN_NOW = datetime(2030, 3, 4, 9, 30, tzinfo=UTC)


@pytest.fixture
def frozen_now(monkeypatch):
    """Services read the clock through django.utils.timezone.now; this pins it."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: FROZEN_NOW)
    return FROZEN_NOW


def refused(field: str, *, client=None, questions=(), **overrides) -> ValidationError:
    """Drafting with `overrides` is refused on `field`, and no project is saved."""
    with pytest.raises(ValidationError) as caught:
        draft_project(client=client, questions=questions, **overrides)
    assert field in caught.value.message_dict, caught.value.message_dict
    assert not Project.objects.exists()
    return caught.value


# --- Drafting -------------------------------------------------------------------------------


def test_client_drafts_a_project_with_skills_questions_and_one_event(client_user):
    # when a client drafts a standard project with two screening questions
    project = draft_project(
        client=client_user,
        skills=skills_named("Django", "PostgreSQL"),
        questions=[{"text": "Which booking tools have you used?"}, {"text": "Portfolio link?", "required": False}],
    )
    # then it is a draft nobody else sees yet, with its skills, questions and a "drafted" event
    assert project.status == Project.Status.DRAFT
    assert project.published_at is None and project.expires_at is None
    assert {s.name for s in project.skills.all()} == {"Django", "PostgreSQL"}
    assert [(q.position, q.text, q.required) for q in project.questions.all()] == [
        (1, "Which booking tools have you used?", True),
        (2, "Portfolio link?", False),
    ]
    (event,) = ProjectEvent.objects.filter(project=project)
    assert (event.actor, event.from_status, event.to_status) == (client_user, "", "draft")


def test_a_valid_paid_test_project_is_accepted(client_user):
    project = draft_project(client=client_user, kind=Project.Kind.TEST)
    assert project.is_test
    assert project.budget_max_cents == 300_00
    assert project.acceptance_criteria


def test_paid_test_at_the_500_dollar_cap_is_accepted_and_a_cent_over_is_refused(client_user):
    draft_project(client=client_user, kind=Project.Kind.TEST, budget_min_cents=500_00, budget_max_cents=500_00)
    Project.objects.all().delete()
    error = refused(
        "budget_max_cents", client=client_user, kind=Project.Kind.TEST, budget_min_cents=500_01, budget_max_cents=500_01
    )
    assert "$500.00" in " ".join(error.message_dict["budget_max_cents"])


def test_paid_test_cap_follows_the_setting(client_user, settings):
    # given an operator who caps paid tests at $200
    settings.TEST_PROJECT_MAX_CENTS = 200_00
    # then a $300 test is refused, mentioning the $200 cap
    error = refused("budget_max_cents", client=client_user, kind=Project.Kind.TEST)
    assert "$200.00" in " ".join(error.message_dict["budget_max_cents"])
    # and a $200 one is fine
    draft_project(client=client_user, kind=Project.Kind.TEST, budget_min_cents=200_00, budget_max_cents=200_00)


def test_paid_test_has_one_fixed_price_not_a_range(client_user):
    refused(
        "budget_max_cents", client=client_user, kind=Project.Kind.TEST, budget_min_cents=100_00, budget_max_cents=300_00
    )


def test_paid_test_takes_at_most_14_days(client_user):
    refused("duration_days", client=client_user, kind=Project.Kind.TEST, duration_days=15)
    draft_project(client=client_user, kind=Project.Kind.TEST, duration_days=14)


@pytest.mark.parametrize("criteria", ["", "   \n  "])
def test_paid_test_needs_acceptance_criteria(client_user, criteria):
    refused("acceptance_criteria", client=client_user, kind=Project.Kind.TEST, acceptance_criteria=criteria)


def test_a_standard_project_may_have_a_budget_range(client_user):
    project = draft_project(client=client_user, budget_min_cents=2_000_00, budget_max_cents=5_000_00)
    assert not project.is_fixed_amount
    assert (project.budget_min_cents, project.budget_max_cents) == (2_000_00, 5_000_00)


@pytest.mark.parametrize(
    ("low", "high", "field"),
    [
        (5_000_00, 2_000_00, "budget_max_cents"),  # upside down
        (0, 1_000_00, "budget_min_cents"),  # nothing
        (1, 1, "budget_min_cents"),  # a cent: below the smallest milestone anyone can be paid
        (1_000_00, 1_000_000_01, "budget_max_cents"),  # above the platform's limit
    ],
)
def test_impossible_budgets_are_refused(client_user, low, high, field):
    refused(field, client=client_user, budget_min_cents=low, budget_max_cents=high)


@pytest.mark.parametrize("days", [0, 366])
def test_duration_outside_a_year_is_refused(client_user, days):
    refused("duration_days", client=client_user, duration_days=days)


def test_deadline_to_apply_cannot_be_in_the_past_but_today_is_fine(client_user):
    refused("apply_by", client=client_user, apply_by=in_days(-1))
    draft_project(client=client_user, apply_by=timezone.localdate())


def test_a_deadline_past_the_open_period_is_refused_already_on_the_draft(client_user, settings):
    error = refused("apply_by", client=client_user, apply_by=in_days(settings.PROJECT_OPEN_DAYS + 1))
    assert f"Projects stay open {settings.PROJECT_OPEN_DAYS} days" in error.message_dict["apply_by"][0]
    draft_project(client=client_user, apply_by=in_days(settings.PROJECT_OPEN_DAYS))


def test_at_most_five_screening_questions(client_user):
    five = [{"text": f"Question {i}?"} for i in range(5)]
    refused("questions", client=client_user, questions=[*five, {"text": "One too many?"}])
    project = draft_project(client=client_user, questions=five)
    assert project.questions.count() == 5


def test_an_empty_screening_question_is_refused(client_user):
    refused("questions", client=client_user, questions=[{"text": "Fine?"}, {"text": "   "}])


def test_confidential_project_needs_nda_text(client_user):
    refused("nda_text", client=client_user, is_confidential=True, nda_text="  ")


def test_someone_who_does_not_hire_cannot_post(freelancer):
    with pytest.raises(DomainError, match="I want to hire"):
        project_create(client=freelancer, data=project_data())
    assert not Project.objects.exists()


def test_a_suspended_client_cannot_post():
    client = new_client(suspended_at=timezone.now())
    with pytest.raises(DomainError, match="suspended"):
        project_create(client=client, data=project_data())
    assert not Project.objects.exists()


def test_fields_outside_the_form_are_refused(client_user):
    # e.g. a crafted API request trying to publish by writing the status
    with pytest.raises(DomainError, match="status"):
        project_create(client=client_user, data=project_data(status=Project.Status.OPEN))
    assert not Project.objects.exists()


# --- Editing --------------------------------------------------------------------------------


def test_the_client_edits_a_draft_and_search_follows(client_user):
    project = draft_project(client=client_user, questions=[{"text": "Which stack?"}])
    project_update(project=project, by=client_user, data={"title": "Clinic bookings with Stripe deposits"})
    project.refresh_from_db()
    assert project.title == "Clinic bookings with Stripe deposits"
    assert "Stripe deposits" in project.search_text
    # and what was not sent is kept
    assert [q.text for q in project.questions.all()] == ["Which stack?"]
    assert {s.name for s in project.skills.all()} == {"Python", "Django"}


def test_an_invalid_edit_saves_nothing(client_user):
    project = draft_project(client=client_user, title="Original title")
    with pytest.raises(ValidationError):
        project_update(project=project, by=client_user, data={"title": "New title", "duration_days": 0})
    project.refresh_from_db()
    assert (project.title, project.duration_days) == ("Original title", 30)


def test_only_the_owner_edits(client_user):
    project = draft_project(client=client_user, title="Original title")
    with pytest.raises(DomainError, match="Only the client"):
        project_update(project=project, by=new_client(), data={"title": "Hijacked"})
    project.refresh_from_db()
    assert project.title == "Original title"


@pytest.mark.parametrize("status", [Project.Status.OPEN, Project.Status.FILLED, Project.Status.CLOSED])
def test_only_drafts_are_edited(status):
    # given a published project whose terms freelancers already read
    project = ProjectFactory(published=True, status=status, title="Published title")
    # when the client tries to change them, then it is refused and the terms stay
    with pytest.raises(InvalidTransition, match="Only drafts"):
        project_update(project=project, by=project.client, data={"title": "Changed after publishing"})
    project.refresh_from_db()
    assert project.title == "Published title"


# --- Publishing -----------------------------------------------------------------------------


def test_publishing_opens_the_project_for_the_configured_days(client_user, settings, frozen_now):
    # given projects stay open 20 days on this site
    settings.PROJECT_OPEN_DAYS = 20
    project = draft_project(client=client_user, apply_by=frozen_now.date() + timedelta(days=10))
    # when the client publishes
    project = project_publish(project=project, by=client_user)
    # then it is open from now, expiring in 20 days, with a "published" event
    assert project.status == Project.Status.OPEN
    assert project.published_at == frozen_now
    assert project.expires_at == frozen_now + timedelta(days=20)
    assert (
        ProjectEvent.objects.filter(project=project, from_status="draft", to_status="open", actor=client_user).count()
        == 1
    )


def test_a_deadline_after_the_expiry_is_refused_at_publishing(client_user, settings):
    # given a draft saved while projects stayed open longer
    project = draft_project(client=client_user, apply_by=in_days(12))
    settings.PROJECT_OPEN_DAYS = 10
    with pytest.raises(ValidationError) as caught:
        project_publish(project=project, by=client_user)
    assert "apply_by" in caught.value.message_dict
    project.refresh_from_db()
    assert project.status == Project.Status.DRAFT and project.published_at is None


def test_a_draft_whose_deadline_passed_cannot_be_published(client_user):
    project = draft_project(client=client_user)
    Project.objects.filter(pk=project.pk).update(apply_by=in_days(-1))
    with pytest.raises(ValidationError) as caught:
        project_publish(project=project, by=client_user)
    assert "apply_by" in caught.value.message_dict
    project.refresh_from_db()
    assert project.status == Project.Status.DRAFT


def test_only_the_owner_publishes(client_user):
    project = draft_project(client=client_user)
    with pytest.raises(DomainError):
        project_publish(project=project, by=new_client())
    project.refresh_from_db()
    assert project.status == Project.Status.DRAFT
    assert not ProjectEvent.objects.filter(project=project, to_status="open").exists()


def test_a_suspended_client_cannot_publish(client_user):
    project = draft_project(client=client_user)
    client_user.suspended_at = timezone.now()
    client_user.save()
    with pytest.raises(DomainError, match="suspended"):
        project_publish(project=project, by=client_user)
    project.refresh_from_db()
    assert project.status == Project.Status.DRAFT


def test_invitations_made_on_a_draft_are_sent_when_it_is_published(client_user):
    # given a draft with two freelancers invited
    project = draft_project(client=client_user)
    invited = [new_freelancer(), new_freelancer()]
    for person in invited:
        invitation_send(project=project, by=client_user, freelancer=person, message="You'd be great for this.")
    # then nobody is told about a draft
    assert not Notification.objects.filter(kind="invitation.new").exists()
    # when it is published, then each invited freelancer gets exactly one invitation notification
    project_publish(project=project, by=client_user)
    for person in invited:
        (notification,) = Notification.objects.filter(recipient=person, kind="invitation.new")
        assert project.title in notification.title
        assert notification.body == "You'd be great for this."


# --- Closing --------------------------------------------------------------------------------


def test_closing_declines_the_open_proposals_and_tells_their_authors(client_user):
    # given an open project with a submitted, a shortlisted, a withdrawn and a declined proposal
    project = ProjectFactory(client=client_user, published=True)
    waiting = ProposalFactory(project=project)
    shortlisted = ProposalFactory(project=project, status=Proposal.Status.SHORTLISTED)
    withdrawn = ProposalFactory(project=project, status=Proposal.Status.WITHDRAWN)
    declined = ProposalFactory(project=project, status=Proposal.Status.DECLINED)
    # when the client closes it
    project_close(project=project, by=client_user)
    # then it shows as closed by the client
    project.refresh_from_db()
    assert project.status == Project.Status.CLOSED
    assert project.close_reason == Project.CloseReason.CLIENT
    assert project.closed_at is not None
    # and the two freelancers still waiting are told why; the others are not
    told = Notification.objects.filter(kind="proposal.declined")
    assert set(told.values_list("recipient", flat=True)) == {waiting.freelancer_id, shortlisted.freelancer_id}
    assert all("closed this project without hiring" in n.body for n in told)
    # and the waiting proposals are declined with that reason, so nobody is shortlisted on a closed project
    assert {p.pk: p.status for p in Proposal.objects.all()} == {
        waiting.pk: "declined",
        shortlisted.pk: "declined",
        withdrawn.pk: "withdrawn",
        declined.pk: "declined",
    }
    waiting.refresh_from_db()
    assert waiting.decline_reason == "The client closed this project without hiring."


def test_a_draft_can_be_closed_without_telling_anyone(client_user):
    project = draft_project(client=client_user)
    project_close(project=project, by=client_user)
    project.refresh_from_db()
    assert project.status == Project.Status.CLOSED
    assert not Notification.objects.exists()


def test_only_the_owner_closes():
    project = ProjectFactory(published=True)
    ProposalFactory(project=project)
    with pytest.raises(DomainError):
        project_close(project=project, by=new_client())
    project.refresh_from_db()
    assert project.status == Project.Status.OPEN
    assert not Notification.objects.exists()


# --- Confidential projects ------------------------------------------------------------------


def test_search_text_of_a_confidential_project_leaves_out_the_description(client_user):
    project = draft_project(
        client=client_user,
        title="Payments reconciliation",
        summary="Match bank statements to invoices.",
        description="Our acquirer is Zephyrbank and the volume is 40k/day.",
        is_confidential=True,
    )
    assert "Zephyrbank" not in project.search_text
    assert "Payments reconciliation" in project.search_text
    assert "Match bank statements" in project.search_text
    assert "Django" in project.search_text  # skills stay searchable
    # and once it is no longer confidential the description becomes searchable
    project_update(project=project, by=client_user, data={"is_confidential": False})
    project.refresh_from_db()
    assert "Zephyrbank" in project.search_text


def test_accepting_an_nda_keeps_the_text_time_and_address_once():
    project = ProjectFactory(published=True, confidential=True, nda_text="Keep it secret.")
    freelancer = new_freelancer()
    first = project_nda_accept(project=project, freelancer=freelancer, ip_address="203.0.113.9")
    again = project_nda_accept(project=project, freelancer=freelancer, ip_address="198.51.100.1")
    assert first.pk == again.pk
    (acceptance,) = NdaAcceptance.objects.all()
    assert (acceptance.nda_text, acceptance.ip_address) == ("Keep it secret.", "203.0.113.9")
    assert can_view_confidential(project, freelancer)


def test_nda_is_refused_on_an_ordinary_project_and_to_the_client():
    public = ProjectFactory(published=True)
    with pytest.raises(DomainError):
        project_nda_accept(project=public, freelancer=new_freelancer(), ip_address=None)
    confidential = ProjectFactory(published=True, confidential=True)
    with pytest.raises(DomainError):
        project_nda_accept(project=confidential, freelancer=confidential.client, ip_address=None)
    assert not NdaAcceptance.objects.exists()


def test_confidential_reads_are_logged_for_others_but_not_for_the_client():
    project = ProjectFactory(published=True, confidential=True)
    reader = new_freelancer()
    confidential_access_record(
        project=project, user=reader, action=ConfidentialAccess.Action.VIEW, ip_address="203.0.113.9"
    )
    confidential_access_record(project=project, user=project.client, action=ConfidentialAccess.Action.VIEW)
    assert list(ConfidentialAccess.objects.values_list("user", "action")) == [(reader.pk, "view")]


# --- Selectors: who sees which project ------------------------------------------------------


@pytest.fixture
def market():
    client = new_client()
    return {
        "client": client,
        "draft": ProjectFactory(client=client),
        "open": ProjectFactory(client=client, published=True),
        "filled": ProjectFactory(client=client, published=True, status=Project.Status.FILLED),
        "closed": ProjectFactory(client=client, published=True, status=Project.Status.CLOSED),
        "invite_only": ProjectFactory(client=client, published=True, invite_only=True),
        "invite_only_draft": ProjectFactory(client=client, invite_only=True),
    }


def visible(user) -> set[int]:
    return set(projects_visible_to(user).values_list("pk", flat=True))


def pks(market, *names) -> set[int]:
    return {market[name].pk for name in names}


def test_anonymous_and_strangers_see_published_public_projects_only(market):
    public = pks(market, "open", "filled", "closed")
    assert visible(AnonymousUser()) == public
    assert visible(new_freelancer()) == public
    assert visible(new_client()) == public


def test_the_owner_sees_all_of_their_projects_including_drafts(market):
    assert visible(market["client"]) == pks(
        market, "draft", "open", "filled", "closed", "invite_only", "invite_only_draft"
    )


def test_an_invited_freelancer_sees_the_invite_only_project_once_published(market):
    invited = new_freelancer()
    InvitationFactory(project=market["invite_only"], freelancer=invited)
    InvitationFactory(project=market["invite_only_draft"], freelancer=invited)
    assert visible(invited) == pks(market, "open", "filled", "closed", "invite_only")


def test_a_freelancer_who_proposed_keeps_seeing_the_invite_only_project(market):
    proposer = new_freelancer()
    ProposalFactory(project=market["invite_only"], freelancer=proposer)
    assert visible(proposer) == pks(market, "open", "filled", "closed", "invite_only")


def test_who_reads_a_confidential_brief():
    project = ProjectFactory(published=True, confidential=True)
    invited, signed, stranger = new_freelancer(), new_freelancer(), new_freelancer()
    InvitationFactory(project=project, freelancer=invited)
    NdaAcceptance.objects.create(project=project, freelancer=signed, nda_text=project.nda_text)
    assert can_view_confidential(project, project.client)
    assert can_view_confidential(project, invited)
    assert can_view_confidential(project, signed)
    assert not can_view_confidential(project, stranger)
    assert not can_view_confidential(project, AnonymousUser())
    # an ordinary project's brief is for everyone
    assert can_view_confidential(ProjectFactory(published=True), AnonymousUser())


# --- Selectors: the client trust panel ------------------------------------------------------


def test_a_new_client_has_no_figures_yet_rather_than_zeros(client_user):
    trust = client_trust(client_user)
    assert trust.projects_posted == 0 and trust.hires == 0
    assert trust.hire_rate_percent is None
    assert trust.payment_verified is False
    assert trust.total_spent_cents is None
    assert trust.average_days_to_approve is None
    assert trust.tests_to_longer_percent is None
    assert trust.member_since == client_user.date_joined


def test_hire_rate_counts_decided_projects_two_of_three_is_67(client_user):
    # given two filled projects with a hire, one closed without, one still open and one draft
    for _ in range(2):
        project = ProjectFactory(client=client_user, published=True, status=Project.Status.FILLED)
        ProposalFactory(project=project, status=Proposal.Status.HIRED)
        ProposalFactory(project=project, status=Proposal.Status.DECLINED)
    ProjectFactory(client=client_user, published=True, status=Project.Status.CLOSED)
    ProjectFactory(client=client_user, published=True)
    ProjectFactory(client=client_user)
    # then freelancers see 4 posted, 2 hires, and a hire rate of 67%
    trust = client_trust(client_user)
    assert (trust.projects_posted, trust.hires, trust.decided_projects) == (4, 2, 3)
    assert trust.hire_rate_percent == 67
    assert trust.total_spent_cents is None


def test_payment_verified_shows_once_the_profile_says_so(client_user):
    client_user.client_profile.payment_method_verified_at = timezone.now()
    client_user.client_profile.save()
    assert client_trust(client_user).payment_verified is True


def test_trust_figures_for_a_page_of_clients_cost_the_same_for_one_or_three(django_assert_num_queries):
    # given one client with one filled project, one with one closed project, one with nothing yet
    hirer, closer, newcomer = new_client(), new_client(), new_client()
    filled = ProjectFactory(client=hirer, published=True, status=Project.Status.FILLED)
    ProposalFactory(project=filled, status=Proposal.Status.HIRED)
    ProjectFactory(client=closer, published=True, status=Project.Status.CLOSED)
    ProjectFactory(client=closer, published=True)
    # when a results page asks for one panel, then for all three at once
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client_trusts([newcomer])
    with django_assert_num_queries(len(one.captured_queries)):
        trusts = client_trusts([hirer, closer, newcomer])
    # then each client gets their own figures
    assert (trusts[hirer.pk].hire_rate_percent, trusts[hirer.pk].hires, trusts[hirer.pk].projects_posted) == (100, 1, 1)
    assert (trusts[closer.pk].hire_rate_percent, trusts[closer.pk].hires, trusts[closer.pk].projects_posted) == (
        0,
        0,
        2,
    )
    assert (trusts[newcomer.pk].hire_rate_percent, trusts[newcomer.pk].projects_posted) == (None, 0)


# --- Selectors: search on SQLite (PostgreSQL relevance is in test_search_postgres.py) -----------


def search(**filters) -> list[str]:
    return [p.title for p in project_search(SearchFilters(**filters))]


def test_search_shows_only_open_public_unexpired_projects():
    ProjectFactory(published=True, title="Open one")
    ProjectFactory(title="Draft one")
    ProjectFactory(published=True, status=Project.Status.CLOSED, title="Closed one")
    ProjectFactory(published=True, status=Project.Status.FILLED, title="Filled one")
    ProjectFactory(published=True, invite_only=True, title="Invite-only one")
    ProjectFactory(published=True, title="Expired one", expires_at=timezone.now() - timedelta(minutes=1))
    assert search() == ["Open one"]
    assert search(query="one") == ["Open one"]


def test_every_word_of_the_query_must_match():
    ProjectFactory(published=True, title="Stripe payouts", description="Connect accounts for sellers.")
    ProjectFactory(published=True, title="Stripe checkout", description="One-off card payments.")
    assert set(search(query="stripe")) == {"Stripe payouts", "Stripe checkout"}
    assert search(query="stripe sellers") == ["Stripe payouts"]
    assert search(query="stripe sellers invoices") == []


def test_title_matches_rank_before_description_matches():
    now = timezone.now()
    ProjectFactory(published=True, title="Marketplace rebuild", description="Also needs a dashboard.", published_at=now)
    ProjectFactory(
        published=True, title="Dashboard for sensors", description="Charts.", published_at=now - timedelta(days=3)
    )
    assert search(query="dashboard") == ["Dashboard for sensors", "Marketplace rebuild"]


def test_a_confidential_description_is_not_searchable():
    ProjectFactory(published=True, confidential=True, title="Reconciliation", description="Acquirer is Zephyrbank.")
    assert search(query="zephyrbank") == []
    assert search(query="reconciliation") == ["Reconciliation"]


def test_filter_by_skill_and_category():
    ProjectFactory(published=True, title="Django app", skills=skills_named("Django"))
    ProjectFactory(
        published=True,
        title="Logo",
        skills=skills_named("Logo Design"),
        category=skills_named("Logo Design")[0].category,
    )
    ProjectFactory(published=True, title="Django and React", skills=skills_named("Django", "React"))
    django_id, react_id = (s.pk for s in skills_named("Django", "React"))
    assert set(search(skills=(django_id,))) == {"Django app", "Django and React"}
    # several skills: any of them, each project once
    assert sorted(search(skills=(django_id, react_id))) == ["Django and React", "Django app"]
    assert set(search(category=web_category().pk)) == {"Django app", "Django and React"}


def test_budget_filter_keeps_projects_whose_range_overlaps():
    ProjectFactory(published=True, title="$300", budget_min_cents=300_00)
    ProjectFactory(published=True, title="$1k-$3k", budget_min_cents=1_000_00, budget_max_cents=3_000_00)
    ProjectFactory(published=True, title="$8k", budget_min_cents=8_000_00)
    assert set(search(budget_min_cents=2_000_00)) == {"$1k-$3k", "$8k"}
    assert set(search(budget_max_cents=1_000_00)) == {"$300", "$1k-$3k"}
    assert search(budget_min_cents=2_500_00, budget_max_cents=5_000_00) == ["$1k-$3k"]


def test_test_projects_only():
    ProjectFactory(published=True, test=True, title="Paid test")
    ProjectFactory(published=True, title="Big project")
    assert search(test_only=True) == ["Paid test"]


def test_posted_within_days():
    now = timezone.now()
    ProjectFactory(published=True, title="Fresh", published_at=now - timedelta(days=1))
    ProjectFactory(published=True, title="Older", published_at=now - timedelta(days=8))
    assert search(posted_within_days=7) == ["Fresh"]


def test_payment_verified_clients_only():
    verified = ProjectFactory(published=True, title="Verified client")
    profile = verified.client.client_profile
    profile.payment_method_verified_at = timezone.now()
    profile.save()
    ProjectFactory(published=True, title="Unverified client")
    assert search(payment_verified=True) == ["Verified client"]


def test_sort_orders():
    now = timezone.now()
    ProjectFactory(published=True, title="Old mid", budget_min_cents=2_000_00, published_at=now - timedelta(days=3))
    ProjectFactory(
        published=True,
        title="New range",
        budget_min_cents=500_00,
        budget_max_cents=9_000_00,
        published_at=now - timedelta(days=1),
    )
    ProjectFactory(
        published=True, title="Middle cheap", budget_min_cents=1_000_00, published_at=now - timedelta(days=2)
    )
    assert search(sort="newest") == ["New range", "Middle cheap", "Old mid"]
    assert search() == ["New range", "Middle cheap", "Old mid"]
    assert search(sort="budget_high") == ["New range", "Old mid", "Middle cheap"]
    assert search(sort="budget_low") == ["New range", "Middle cheap", "Old mid"]


def test_search_uses_the_same_number_of_queries_whatever_the_page_size(django_assert_max_num_queries):
    for i in range(12):
        ProjectFactory(published=True, title=f"Project {i}", skills=skills_named("Django", "React"))
    # the ranked window (which also gives the count), the page's rows and their skills; on PostgreSQL
    # also the planner's estimate (EXPLAIN, no rows read) that picks the index the window comes from
    with django_assert_max_num_queries(4 if connection.vendor == "postgresql" else 3):
        paginator = SearchPaginator(project_search(SearchFilters(query="project")), 12)
        page = list(paginator.page(1))
        assert paginator.count == 12
        assert all(len(p.skills.all()) == 2 and p.client.client_profile and p.category for p in page)


def test_an_open_project_made_by_the_services_is_found():
    project = open_project(title="Clinic bookings", skills=skills_named("Django"))
    assert search(query="clinic bookings") == [project.title]


def test_a_query_with_several_skills_lists_each_project_once_title_matches_first():
    now = timezone.now()
    ProjectFactory(
        published=True,
        title="Booking widget",
        description="A Django app.",
        skills=skills_named("Django", "React"),
        published_at=now - timedelta(days=2),
    )
    ProjectFactory(
        published=True,
        title="Clinic app",
        description="Booking for patients.",
        skills=skills_named("Django"),
        published_at=now,
    )
    django_id, react_id = (s.pk for s in skills_named("Django", "React"))
    assert search(query="booking", skills=(django_id, react_id)) == ["Booking widget", "Clinic app"]
