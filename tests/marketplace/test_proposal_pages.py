"""Proposal and interview pages, as the client and the freelancer see them."""

from __future__ import annotations

import html
import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import SkillCategory
from marketplace import ics, services
from marketplace.models import Interview, Project, Proposal
from marketplace.services import MilestoneTerms
from notifications.models import Notification
from tests.factories import PASSWORD, ClientProfileFactory, FreelancerProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
KOLKATA = zoneinfo.ZoneInfo("Asia/Kolkata")


# --- helpers: test data through the services -------------------------------------------------


def in_days(days: int):
    return timezone.localdate() + timedelta(days=days)


def new_freelancer(**fields):
    return FreelancerProfileFactory(**{f"user__{key}": value for key, value in fields.items()}).user


def new_client(**fields):
    return ClientProfileFactory(**{f"user__{key}": value for key, value in fields.items()}).user


def open_project(client, *, test: bool = False, questions=(), visibility=Project.Visibility.PUBLIC, title=None):
    budget = 400_00 if test else 2_000_00
    data = {
        "kind": Project.Kind.TEST if test else Project.Kind.STANDARD,
        "title": title or ("Fix the invoice PDF export" if test else "Build a clinic booking system"),
        "summary": "A clear, small piece of work.",
        "description": "Everything you need to know.\nSecond line.",
        "acceptance_criteria": "The export matches the sample invoice." if test else "",
        "follow_on_plan": "A three-month contract if it goes well." if test else "",
        "category": SkillCategory.objects.first(),
        "experience_level": Project.ExperienceLevel.INTERMEDIATE,
        "budget_min_cents": budget,
        "budget_max_cents": budget,
        "duration_days": 7 if test else 60,
        "apply_by": in_days(10),
        "visibility": visibility,
        "is_confidential": False,
    }
    project = services.project_create(
        client=client, data=data, questions=[{"text": text, "required": required} for text, required in questions]
    )
    return services.project_publish(project=project, by=client)


def submit(project, freelancer, *, bid_cents=600_00, milestones=None, answers=None, attachments=()):
    milestones = milestones or [
        MilestoneTerms("Design the schema", 200_00, in_days(7)),
        MilestoneTerms("Build the booking flow", 400_00, in_days(20)),
    ]
    return services.proposal_submit(
        project=project,
        freelancer=freelancer,
        cover_letter="I have built three booking systems.\nHappy to start Monday.",
        bid_cents=bid_cents,
        duration_days=21,
        milestones=milestones,
        answers=answers or {},
        attachments=attachments,
    )


def log_in(client, user):
    assert client.login(email=user.email, password=PASSWORD)
    return client


def form_data(
    *, bid="600", duration="21", cover="I have built three booking systems.", milestones=None, rows=3, **extra
):
    milestones = (
        milestones
        if milestones is not None
        else [("Design the schema", "200", in_days(7)), ("Build the booking flow", "400", in_days(20))]
    )
    rows = max(rows, len(milestones))
    data = {
        "cover_letter": cover,
        "bid": bid,
        "duration_days": duration,
        "milestones-TOTAL_FORMS": str(rows),
        "milestones-INITIAL_FORMS": "0",
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "10",
    }
    for index, (title, amount, due) in enumerate(milestones):
        data[f"milestones-{index}-title"] = title
        data[f"milestones-{index}-amount"] = amount
        data[f"milestones-{index}-due_date"] = due.isoformat() if hasattr(due, "isoformat") else due
    data.update(extra)
    return data


def pdf_upload(name="portfolio.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n", "application/pdf")


def local_input(moment: datetime, zone) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def at_local(days: int, hour: int, zone) -> datetime:
    day = timezone.now().astimezone(zone).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=zone)


def unfold(body: str) -> list[str]:
    assert body.endswith("\r\n")
    assert "\n" not in body.replace("\r\n", "")
    return body.replace("\r\n ", "").split("\r\n")[:-1]


@pytest.fixture
def client_of_project(db):
    return new_client(full_name="Clara Client")


@pytest.fixture
def priya(db):
    return new_freelancer(full_name="Priya Raman")


@pytest.fixture
def project(client_of_project):
    return open_project(
        client_of_project, questions=[("Which booking tools have you used?", True), ("Anything else?", False)]
    )


# --- proposing --------------------------------------------------------------------------------


def test_freelancer_proposes_and_the_client_sees_it_listed_and_notified(client, project, priya, client_of_project):
    # given an open project with a required and an optional screening question
    required, optional = project.questions.all()
    log_in(client, priya)
    page = client.get(reverse("proposal_create", args=[project.pk]))
    assert page.status_code == 200
    assert "Build a clinic booking system" in page.content.decode()
    assert "Which booking tools have you used?" in page.content.decode()

    # when Priya proposes $600 in two milestones with an answer and a PDF
    response = client.post(
        reverse("proposal_create", args=[project.pk]),
        form_data(**{f"answer_{required.pk}": "Calendly and a custom Django one.", "attachments": [pdf_upload()]}),
    )

    # then she lands on her proposal, which shows the terms
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("proposal_detail", args=[proposal.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Your proposal is sent" in page
    assert "$600.00" in page and "$200.00" in page and "$400.00" in page
    assert "Calendly and a custom Django one." in page
    assert "portfolio.pdf" in page
    assert proposal.milestones.count() == 2
    assert optional.answers.count() == 0

    # and the client sees it in the project's list and got a notification
    client.logout()
    log_in(client, client_of_project)
    listing = client.get(reverse("project_proposals", args=[project.pk])).content.decode()
    assert "Priya Raman" in listing
    assert "Django developer for payment-heavy products" in listing
    assert "$65.00/hour" in listing
    assert "$600.00" in listing and "21 days" in listing
    notification = Notification.objects.get(recipient=client_of_project, kind="proposal.new")
    assert notification.url == reverse("proposal_detail", args=[proposal.pk])
    # and only the two parties can download the attachment
    attachment = proposal.attachments.get()
    download = client.get(reverse("proposal_attachment", args=[proposal.pk, attachment.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")


def _required_answer(project):
    return {f"answer_{project.questions.get(required=True).pk}": "Calendly."}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"milestones": [("Design", "200", 7), ("Build", "300", 20)]},
            "The milestones add up to $500.00, but your bid is $600.00.",
        ),
        ({"bid": "0"}, "Enter an amount above zero"),
        ({"bid": "-5"}, "Enter an amount above zero"),
        ({"bid": "abc"}, "Enter an amount such as 45 or 45.50."),
        ({"bid": "12.345"}, "Amounts can have at most two decimal places."),
        ({"milestones": [("Design", "abc", 7)]}, "Enter an amount such as 45 or 45.50."),
        ({"milestones": [("Design", "600", -1)]}, "Milestone due dates cannot be in the past."),
        ({"milestones": [("", "600", 7)]}, "Give this milestone a title."),
        ({"milestones": []}, "Propose at least one milestone."),
        ({"cover": ""}, "Write a cover letter."),
        ({"duration": "zero"}, "Enter a whole number of days."),
        ({"answer": ""}, "Answer this question"),
    ],
    ids=[
        "milestones-dont-add-up",
        "bid-zero",
        "bid-negative",
        "bid-not-a-number",
        "bid-fraction-of-a-cent",
        "milestone-amount-not-a-number",
        "milestone-due-in-the-past",
        "milestone-without-title",
        "no-milestones",
        "no-cover-letter",
        "duration-not-a-number",
        "required-answer-missing",
    ],
)
def test_bad_proposal_input_shows_an_inline_error_and_saves_nothing(client, project, priya, changes, expected):
    # given Priya on the proposal form
    log_in(client, priya)
    changes = dict(changes)
    answers = _required_answer(project)
    if "answer" in changes:
        answers = {key: changes.pop("answer") for key in answers}
    if "milestones" in changes:
        changes["milestones"] = [(title, amount, in_days(days)) for title, amount, days in changes["milestones"]]

    # when she sends something wrong
    response = client.post(reverse("proposal_create", args=[project.pk]), form_data(**changes, **answers))

    # then the form comes back with the error and nothing is saved
    page = response.content.decode()
    assert response.status_code == 200
    assert "Please fix the problems marked below. Nothing was saved." in page
    assert expected in page
    assert Proposal.objects.count() == 0
    assert not Notification.objects.filter(kind="proposal.new").exists()


@pytest.mark.parametrize(
    ("bid", "milestones", "expected"),
    [
        ("600", [("Whole job", "600", 5)], "A paid test project is capped at $500.00."),
        ("400", [("Half", "200", 3), ("Other half", "200", 6)], "A paid test project has exactly one milestone."),
    ],
    ids=["over-the-cap", "two-milestones"],
)
def test_paid_test_limits_are_refused(client, client_of_project, priya, bid, milestones, expected):
    # given a paid test project
    test_project = open_project(client_of_project, test=True)
    log_in(client, priya)
    form = client.get(reverse("proposal_create", args=[test_project.pk])).content.decode()
    assert "one milestone, at most $500.00" in form
    assert form.count("data-milestone-row>") == 2  # one row to fill, plus the template for JavaScript

    # when Priya breaks a paid-test rule
    rows = [(title, amount, in_days(days)) for title, amount, days in milestones]
    response = client.post(
        reverse("proposal_create", args=[test_project.pk]), form_data(bid=bid, duration="5", milestones=rows)
    )

    # then she is told why and nothing is saved
    assert expected in response.content.decode()
    assert Proposal.objects.count() == 0


def test_attachment_that_is_html_named_pdf_is_refused(client, project, priya):
    log_in(client, priya)
    fake = SimpleUploadedFile("cv.pdf", b"<html><body><script>alert(1)</script></body></html>", "application/pdf")
    response = client.post(
        reverse("proposal_create", args=[project.pk]), form_data(**_required_answer(project), attachments=[fake])
    )
    page = response.content.decode()
    assert "contains HTML or SVG, which is not accepted." in page
    assert "Choose your attachments again" in page
    assert Proposal.objects.count() == 0


def test_a_second_proposal_on_the_same_project_is_refused(client, project, priya):
    # given Priya already proposed
    first = submit(project, priya, answers={project.questions.get(required=True).pk: "Calendly"})
    log_in(client, priya)
    # when she opens the form again, she is sent to her proposal
    response = client.get(reverse("proposal_create", args=[project.pk]))
    assert response["Location"] == reverse("proposal_detail", args=[first.pk])
    # and when she posts a second one anyway, it is refused
    response = client.post(reverse("proposal_create", args=[project.pk]), form_data(**_required_answer(project)))
    assert "You already sent a proposal for this project. Edit it instead." in response.content.decode()
    assert Proposal.objects.count() == 1


def told_why_no_proposal(client, project: Project, reason: str) -> None:
    """The proposal form says `reason` instead of offering the form, and a proposal posted anyway is
    refused with the same reason and not saved."""
    page = client.get(reverse("proposal_create", args=[project.pk])).content.decode()
    assert reason in page
    assert "Send proposal" not in page
    response = client.post(reverse("proposal_create", args=[project.pk]), form_data(**_required_answer(project)))
    assert reason in response.content.decode()
    assert Proposal.objects.count() == 0


def test_a_freelancer_who_declined_the_invitation_is_told_so_before_writing_a_proposal(
    client, project, priya, client_of_project
):
    # given Priya was invited to the project and declined
    invitation = services.invitation_send(project=project, by=client_of_project, freelancer=priya)
    services.invitation_decline(invitation=invitation, by=priya)
    log_in(client, priya)
    # when she opens the proposal form or posts a proposal anyway, then she reads why she cannot propose
    told_why_no_proposal(client, project, "You declined the invitation to this project.")


def test_a_closed_project_takes_no_proposals(client, project, priya, client_of_project):
    services.project_close(project=project, by=client_of_project)
    log_in(client, priya)
    told_why_no_proposal(client, project, "This project is not taking proposals any more.")


def test_a_suspended_freelancer_is_told_their_account_is_suspended_and_what_they_can_still_do(client, project, priya):
    # given Priya's account is suspended
    priya.suspended_at = timezone.now()
    priya.save()
    log_in(client, priya)
    # when she opens the proposal form, then it says her account is suspended, not "not yet"
    told_why_no_proposal(client, project, "Your account is suspended, so you cannot send proposals.")
    page = html.unescape(client.get(reverse("proposal_create", args=[project.pk])).content.decode())
    assert '<h2 id="blocked-heading">Your account is suspended</h2>' in page
    assert "You can't propose on this project yet" not in page
    assert "You can still sign in, read projects and your messages, and withdraw the money you have earned." in page
    assert f'href="{reverse("earnings")}"' in page
    # and the project page says the same
    page = client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert "Your account is suspended</strong>, so you cannot propose." in page
    assert f'<a href="{reverse("earnings")}">withdraw the money you have earned</a>' in page


def test_a_client_cannot_propose_on_their_own_project(client, project, client_of_project):
    # given the client also works as a freelancer, with a complete profile
    client_of_project.is_freelancer = True
    client_of_project.save()
    FreelancerProfileFactory(user=client_of_project)
    log_in(client, client_of_project)
    response = client.post(
        reverse("proposal_create", args=[project.pk]), form_data(**_required_answer(project)), follow=True
    )
    assert "This is your project, so you cannot propose on it." in response.content.decode()
    assert Proposal.objects.count() == 0


def test_an_invite_only_project_refuses_strangers(client, client_of_project, priya):
    private = open_project(client_of_project, visibility=Project.Visibility.INVITE_ONLY)
    log_in(client, priya)
    assert client.get(reverse("proposal_create", args=[private.pk])).status_code == 404
    assert client.post(reverse("proposal_create", args=[private.pk]), form_data()).status_code == 404
    assert Proposal.objects.count() == 0


def test_a_flood_of_proposals_is_throttled(client, project, priya, settings):
    settings.PROPOSAL_RATE_LIMIT = 0
    log_in(client, priya)
    response = client.post(reverse("proposal_create", args=[project.pk]), form_data(**_required_answer(project)))
    assert response.status_code == 429
    assert "Take a break and try again later." in response.content.decode()
    assert Proposal.objects.count() == 0


def test_the_author_edits_a_prefilled_proposal(client, project, priya, client_of_project):
    required = project.questions.get(required=True)
    proposal = submit(project, priya, answers={required.pk: "Calendly"})
    log_in(client, priya)
    # the form shows the current terms
    form = client.get(reverse("proposal_edit", args=[proposal.pk])).content.decode()
    assert 'value="600"' in form and 'value="Design the schema"' in form and 'value="400"' in form
    assert "Calendly" in form
    # when she lowers her bid to $550 with matching milestones
    response = client.post(
        reverse("proposal_edit", args=[proposal.pk]),
        form_data(
            bid="550",
            milestones=[("Design the schema", "150", in_days(7)), ("Build the booking flow", "400", in_days(20))],
            **{f"answer_{required.pk}": "Calendly and Acuity."},
        ),
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.bid_cents == 550_00
    page = client.get(reverse("proposal_detail", args=[proposal.pk])).content.decode()
    assert "$550.00" in page and "Calendly and Acuity." in page
    # and the client cannot open the edit form at all
    client.logout()
    log_in(client, client_of_project)
    assert client.get(reverse("proposal_edit", args=[proposal.pk])).status_code == 404


# --- the client acts on proposals -----------------------------------------------------------------


@pytest.fixture
def proposal(project, priya):
    return submit(project, priya, answers={project.questions.get(required=True).pk: "Calendly"})


def test_client_shortlists_and_the_freelancer_sees_it(client, proposal, client_of_project, priya):
    log_in(client, client_of_project)
    page = client.get(reverse("proposal_detail", args=[proposal.pk])).content.decode()
    assert "New: you have not acted on this proposal yet." in page
    response = client.post(reverse("proposal_shortlist", args=[proposal.pk]), follow=True)
    assert "Priya Raman is on your shortlist" in response.content.decode()
    client.logout()
    log_in(client, priya)
    page = client.get(reverse("proposal_detail", args=[proposal.pk])).content.decode()
    assert "Shortlisted: the client is considering you seriously." in page


def test_client_declines_with_a_reason_the_freelancer_reads(client, proposal, client_of_project, priya):
    log_in(client, client_of_project)
    client.post(reverse("proposal_decline", args=[proposal.pk]), {"reason": "We need someone in our timezone."})
    listing = client.get(reverse("project_proposals", args=[proposal.project.pk]) + "?status=declined").content.decode()
    assert "Priya Raman" in listing
    client.logout()
    log_in(client, priya)
    page = client.get(reverse("proposal_detail", args=[proposal.pk])).content.decode()
    assert "Declined" in page
    assert "The client's reason" in page
    assert "We need someone in our timezone." in page
    assert "Edit proposal" not in page


def test_declining_twice_is_a_message_not_an_error(client, proposal, client_of_project):
    log_in(client, client_of_project)
    client.post(reverse("proposal_decline", args=[proposal.pk]), {"reason": ""})
    response = client.post(reverse("proposal_decline", args=[proposal.pk]), {"reason": ""}, follow=True)
    assert response.status_code == 200
    assert "so that is not possible now." in response.content.decode()


def test_client_hires_after_confirming_the_terms(client, project, proposal, client_of_project):
    # given a second freelancer also proposed
    other = submit(
        project, new_freelancer(full_name="Omar Other"), answers={project.questions.get(required=True).pk: "x"}
    )
    log_in(client, client_of_project)

    # when the client opens the hire page, the terms and consequences are spelled out
    page = client.get(reverse("proposal_hire", args=[proposal.pk])).content.decode()
    assert "$600.00" in page and "Design the schema" in page and "Build the booking flow" in page
    assert in_days(20).strftime("%-d %b %Y") in page
    assert "When they accept, the contract starts" in page and "is filled: it stops taking proposals" in page
    assert "The 1 other open proposal on this project is then declined" in page
    assert "goes back to your shortlist" in page

    # and confirms
    response = client.post(reverse("proposal_hire", args=[proposal.pk]), follow=True)

    # then an offer carries the terms to the freelancer, and the project waits for their answer
    page = html.unescape(response.content.decode())
    assert "Offer sent to Priya Raman. The contract starts when they accept it" in page
    project.refresh_from_db()
    other.refresh_from_db()
    assert project.status == Project.Status.OPEN
    assert other.status == Proposal.Status.SUBMITTED
    assert Proposal.objects.get(pk=proposal.pk).status == Proposal.Status.OFFERED
    offer = Proposal.objects.get(pk=proposal.pk).offers.get()
    assert offer.total_cents == 600_00
    assert [(m.title, m.amount_cents, m.due_date) for m in offer.milestones.all()] == [
        ("Design the schema", 200_00, in_days(7)),
        ("Build the booking flow", 400_00, in_days(20)),
    ]


def test_freelancer_withdraws(client, proposal, priya, client_of_project):
    log_in(client, priya)
    confirm = client.get(reverse("proposal_withdraw", args=[proposal.pk])).content.decode()
    assert "You cannot undo this" in confirm
    response = client.post(reverse("proposal_withdraw", args=[proposal.pk]), follow=True)
    assert "Your proposal is withdrawn." in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.WITHDRAWN
    assert Notification.objects.filter(recipient=client_of_project, kind="proposal.withdrawn").exists()
    listing = client.get(reverse("proposal_list")).content.decode()
    assert "Withdrawn" in listing and "Build a clinic booking system" in listing


def test_freelancer_cannot_use_client_actions(client, proposal, priya):
    log_in(client, priya)
    response = client.post(reverse("proposal_shortlist", args=[proposal.pk]), follow=True)
    assert "Only the client who posted the project can shortlist proposals." in response.content.decode()
    assert client.get(reverse("proposal_hire", args=[proposal.pk])).status_code == 404
    assert client.get(reverse("interview_create", args=[proposal.pk])).status_code == 404
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED


def test_a_non_party_gets_404_everywhere(client, project, priya, client_of_project):
    # given a proposal with an attachment and a scheduled interview
    proposal = submit(
        project, priya, answers={project.questions.get(required=True).pk: "x"}, attachments=[pdf_upload()]
    )
    interview = services.interview_propose(
        proposal=proposal, by=client_of_project, slots=[timezone.now() + timedelta(days=1)], duration_minutes=30
    )
    services.interview_pick(interview=interview, by=priya, slot=interview.slots.get())
    attachment = proposal.attachments.get()
    # when someone else, even another client or freelancer, asks for any of it
    log_in(client, new_freelancer())
    urls = [
        reverse("proposal_detail", args=[proposal.pk]),
        reverse("proposal_attachment", args=[proposal.pk, attachment.pk]),
        reverse("proposal_hire", args=[proposal.pk]),
        reverse("proposal_withdraw", args=[proposal.pk]),
        reverse("proposal_edit", args=[proposal.pk]),
        reverse("project_proposals", args=[project.pk]),
        reverse("interview_detail", args=[interview.pk]),
        reverse("interview_ics", args=[interview.pk]),
    ]
    # then the answer is always "not found"
    for url in urls:
        assert client.get(url).status_code == 404, url
    for name in ("proposal_shortlist", "proposal_decline"):
        assert client.post(reverse(name, args=[proposal.pk])).status_code == 404
    for name in ("interview_pick", "interview_cancel", "interview_offer_times"):
        assert client.post(reverse(name, args=[interview.pk])).status_code == 404


def test_the_project_proposal_list_uses_a_fixed_number_of_queries(
    client, client_of_project, django_assert_max_num_queries
):
    project = open_project(client_of_project)
    for _ in range(2):
        submit(project, new_freelancer())
    log_in(client, client_of_project)
    url = reverse("project_proposals", args=[project.pk])
    client.get(url)  # warm up session and caches
    with CaptureQueriesContext(connection) as two:
        assert client.get(url).status_code == 200
    with_two = len(two.captured_queries)
    for _ in range(8):
        submit(project, new_freelancer())
    client.get(url)  # the new proposals' notifications refreshed the header's cached counts
    with django_assert_max_num_queries(with_two):
        page = client.get(url).content.decode()
    assert page.count("Read the proposal<span") == 10


def test_the_project_proposal_list_filters_by_status(client, project, client_of_project):
    answer = {project.questions.get(required=True).pk: "x"}
    shortlisted = submit(project, new_freelancer(full_name="Sam Shortlisted"), answers=answer)
    submit(project, new_freelancer(full_name="Nina New"), answers=answer)
    services.proposal_shortlist(proposal=shortlisted, by=client_of_project)
    log_in(client, client_of_project)
    url = reverse("project_proposals", args=[project.pk])
    new_only = client.get(url + "?status=new").content.decode()
    assert "Nina New" in new_only and "Sam Shortlisted" not in new_only
    short_only = client.get(url + "?status=shortlisted").content.decode()
    assert "Sam Shortlisted" in short_only and "Nina New" not in short_only
    assert "No proposals with this status" in client.get(url + "?status=declined").content.decode()


def test_freelancer_proposal_list_groups_by_status_and_has_an_empty_state(client, client_of_project, priya):
    log_in(client, priya)
    assert "No proposals yet" in client.get(reverse("proposal_list")).content.decode()
    first = submit(open_project(client_of_project, title="First project"), priya)
    submit(open_project(client_of_project, title="Second project"), priya)
    services.proposal_shortlist(proposal=first, by=client_of_project)
    page = client.get(reverse("proposal_list")).content.decode()
    assert page.index("Shortlisted") < page.index("First project")
    assert page.index("Sent, waiting for the client") < page.index("Second project")


def test_the_conversation_topic_links_back_to_the_proposal(proposal):
    from marketplace.topics import proposal_topic

    assert proposal_topic(proposal.pk) == (
        "Proposal: Build a clinic booking system",
        reverse("proposal_detail", args=[proposal.pk]),
    )
    assert proposal_topic(999_999) is None


# --- interviews -------------------------------------------------------------------------------


@pytest.fixture
def berlin_client(client_of_project):
    client_of_project.timezone = "Europe/Berlin"
    client_of_project.save()
    return client_of_project


@pytest.fixture
def kolkata_priya(priya):
    priya.timezone = "Asia/Kolkata"
    priya.save()
    return priya


def test_interview_flow_across_timezones(client, proposal, berlin_client, kolkata_priya):
    first, second = at_local(2, 14, BERLIN), at_local(3, 10, BERLIN)

    # given the client in Berlin offers two times, typed in Berlin time
    log_in(client, berlin_client)
    form = client.get(reverse("interview_create", args=[proposal.pk])).content.decode()
    assert "Europe/Berlin" in form and 'type="datetime-local"' in form
    response = client.post(
        reverse("interview_create", args=[proposal.pk]),
        {"slot_1": local_input(first, BERLIN), "slot_2": local_input(second, BERLIN), "duration_minutes": "45"},
    )
    interview = Interview.objects.get()
    assert response["Location"] == reverse("interview_detail", args=[interview.pk])
    assert sorted(slot.starts_at for slot in interview.slots.all()) == [first, second]
    assert interview.duration_minutes == 45

    # when Priya in Kolkata opens it, she sees the times in her own timezone
    client.logout()
    log_in(client, kolkata_priya)
    page = client.get(reverse("interview_detail", args=[interview.pk])).content.decode()
    in_kolkata = first.astimezone(KOLKATA)
    assert f"{in_kolkata:%H:%M} IST" in page
    assert f"{first:%H:%M} {first.tzname()} for Clara Client" in page
    assert "Asia/Kolkata" in page
    assert page.count("Pick this time") == 2

    # and picks the first one
    slot = interview.slots.get(starts_at=first)
    client.post(reverse("interview_pick", args=[interview.pk]), {"slot": slot.pk})
    interview.refresh_from_db()
    assert interview.status == Interview.Status.SCHEDULED
    page = client.get(reverse("interview_detail", args=[interview.pk])).content.decode()
    assert f"{in_kolkata:%H:%M} IST for you, {first:%H:%M} {first.tzname()} for Clara Client" in page
    assert interview.meeting_url in page

    # then the client sees the same meeting and its time in both zones
    client.logout()
    log_in(client, berlin_client)
    page = client.get(reverse("interview_detail", args=[interview.pk])).content.decode()
    assert f"{first:%H:%M} {first.tzname()} for you, {in_kolkata:%H:%M} IST for Priya Raman" in page
    assert interview.meeting_url in page

    # and the calendar file is a valid event at that time
    response = client.get(reverse("interview_ics", args=[interview.pk]))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert 'filename="proofwork-interview-' in response["Content-Disposition"]
    raw = response.content.decode()
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))
    lines = unfold(raw)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "METHOD:PUBLISH" in lines
    assert any(line.startswith("PRODID:") for line in lines)
    assert f"UID:interview-{interview.pk}@proofwork" in lines
    assert f"SEQUENCE:{interview.sequence}" in lines
    assert f"DTSTART:{first.astimezone(UTC):%Y%m%dT%H%M%SZ}" in lines
    assert f"DTEND:{(first + timedelta(minutes=45)).astimezone(UTC):%Y%m%dT%H%M%SZ}" in lines
    assert "STATUS:CONFIRMED" in lines
    description = next(line for line in lines if line.startswith("DESCRIPTION:"))
    assert interview.meeting_url in description
    first_sequence = interview.sequence

    # when Priya asks to reschedule with a time typed in Kolkata time
    client.logout()
    log_in(client, kolkata_priya)
    new_time = at_local(4, 16, KOLKATA)
    response = client.post(
        reverse("interview_offer_times", args=[interview.pk]), {"slot_1": local_input(new_time, KOLKATA)}
    )
    assert response.status_code == 302
    interview.refresh_from_db()
    assert interview.status == Interview.Status.PROPOSED
    assert interview.offered_by == kolkata_priya

    # then the client picks it, and the calendar file moves with a higher sequence
    client.logout()
    log_in(client, berlin_client)
    page = client.get(reverse("interview_detail", args=[interview.pk])).content.decode()
    assert f"{new_time.astimezone(BERLIN):%H:%M}" in page
    assert page.count("Pick this time") == 1
    client.post(reverse("interview_pick", args=[interview.pk]), {"slot": interview.slots.get(is_open=True).pk})
    interview.refresh_from_db()
    assert interview.starts_at == new_time
    lines = unfold(client.get(reverse("interview_ics", args=[interview.pk])).content.decode())
    assert f"DTSTART:{new_time.astimezone(UTC):%Y%m%dT%H%M%SZ}" in lines
    assert any(line.startswith("SEQUENCE:") and int(line.split(":")[1]) > first_sequence for line in lines)

    # and when the client cancels, Priya sees why, and the calendar file says cancelled
    client.post(reverse("interview_cancel", args=[interview.pk]), {"reason": "We filled the role internally."})
    client.logout()
    log_in(client, kolkata_priya)
    page = client.get(reverse("interview_detail", args=[interview.pk])).content.decode()
    assert "Cancelled" in page and "We filled the role internally." in page
    assert "STATUS:CANCELLED" in unfold(client.get(reverse("interview_ics", args=[interview.pk])).content.decode())
    # and her interview list shows it
    assert "Past and cancelled" in client.get(reverse("interview_list")).content.decode()


def test_a_slot_in_the_past_is_refused(client, proposal, berlin_client):
    log_in(client, berlin_client)
    yesterday = timezone.now() - timedelta(days=1)
    response = client.post(
        reverse("interview_create", args=[proposal.pk]),
        {"slot_1": local_input(yesterday, BERLIN), "duration_minutes": "30"},
    )
    page = response.content.decode()
    assert "Please fix the problems marked below. Nothing was saved." in page
    assert "This time is less than 30 minutes from now: offer a later one." in page
    assert Interview.objects.count() == 0


def test_a_slot_in_the_past_is_named_beside_the_forms_other_errors(client, proposal, berlin_client):
    # given times where one is in the past and a length that is not offered
    log_in(client, berlin_client)
    yesterday = timezone.now() - timedelta(days=1)
    response = client.post(
        reverse("interview_create", args=[proposal.pk]),
        {"slot_1": local_input(yesterday, BERLIN), "slot_2": "next tuesday", "duration_minutes": "90"},
    )
    # then one answer names all three problems
    page = response.content.decode()
    assert "This time is less than 30 minutes from now: offer a later one." in page
    assert "Enter a date and time such as" in page
    assert "Select a valid choice." in page
    assert Interview.objects.count() == 0


def test_failed_new_times_come_back_on_the_interview_page_each_error_on_its_time(
    client, proposal, berlin_client, priya
):
    # given an interview the client offered
    interview = services.interview_propose(
        proposal=proposal, by=berlin_client, slots=[timezone.now() + timedelta(days=1)], duration_minutes=30
    )
    log_in(client, priya)
    soon, far = timezone.now() - timedelta(days=6), timezone.now() + timedelta(days=400)
    later = timezone.now() + timedelta(days=3)
    # when the freelancer suggests a past time, one too far ahead and the same good time twice
    response = client.post(
        reverse("interview_offer_times", args=[interview.pk]),
        {"slot_1": local_input(soon, BERLIN), "slot_2": local_input(far, BERLIN), "slot_3": local_input(later, BERLIN)},
    )
    # then the answer is a redirect back to the interview's page, never the POST address
    assert response.status_code == 303
    assert response["Location"] == reverse("interview_detail", args=[interview.pk]) + "#suggest"
    # where each time says what is wrong with it, all at once, with what was typed
    form = client.get(response["Location"]).context["times_form"]
    assert form.errors["slot_1"] == ["This time is less than 30 minutes from now: offer a later one."]
    assert form.errors["slot_2"] == ["Offer a time within the next 60 days."]
    assert "slot_3" not in form.errors
    # once: the page shows a fresh form after that, and nothing was offered
    assert not client.get(response["Location"]).context["times_form"].is_bound
    assert interview.slots.count() == 1


def test_a_time_offered_twice_is_named(client, proposal, berlin_client):
    log_in(client, berlin_client)
    when = local_input(timezone.now() + timedelta(days=2), BERLIN)
    response = client.post(
        reverse("interview_create", args=[proposal.pk]), {"slot_1": when, "slot_2": when, "duration_minutes": "30"}
    )
    assert "You offered this time already" in response.content.decode()
    assert Interview.objects.count() == 0


def test_interview_form_needs_a_time_and_a_known_length(client, proposal, berlin_client):
    log_in(client, berlin_client)
    response = client.post(reverse("interview_create", args=[proposal.pk]), {"slot_1": "", "duration_minutes": "90"})
    page = response.content.decode()
    assert "Offer at least one time." in page
    assert "Select a valid choice." in page
    response = client.post(reverse("interview_create", args=[proposal.pk]), {"slot_1": "next tuesday"})
    assert "Enter a date and time such as" in response.content.decode()
    assert Interview.objects.count() == 0


def test_the_person_who_offered_times_cannot_pick_them(client, proposal, berlin_client):
    interview = services.interview_propose(
        proposal=proposal, by=berlin_client, slots=[timezone.now() + timedelta(days=1)], duration_minutes=30
    )
    log_in(client, berlin_client)
    page = client.get(reverse("interview_detail", args=[interview.pk])).content.decode()
    assert "Pick this time" not in page
    assert "Waiting for Priya Raman" in page
    response = client.post(
        reverse("interview_pick", args=[interview.pk]), {"slot": interview.slots.get().pk}, follow=True
    )
    assert "You offered these times; the other side picks one." in response.content.decode()
    bogus = client.post(reverse("interview_pick", args=[interview.pk]), {"slot": "9" * 40}, follow=True)
    assert "That time is no longer on offer." in bogus.content.decode()
    interview.refresh_from_db()
    assert interview.status == Interview.Status.PROPOSED


def test_calendar_is_not_offered_before_a_time_is_agreed(client, proposal, berlin_client):
    interview = services.interview_propose(
        proposal=proposal, by=berlin_client, slots=[timezone.now() + timedelta(days=1)], duration_minutes=30
    )
    log_in(client, berlin_client)
    response = client.get(reverse("interview_ics", args=[interview.pk]), follow=True)
    assert "There is no agreed time yet" in response.content.decode()


# --- the calendar file on its own ---------------------------------------------------------------


def test_ics_text_is_escaped_and_long_lines_are_folded_on_character_boundaries():
    # given an interview whose project title and note hold iCalendar's special characters
    client = UserFactory.build(full_name="Clara Client")
    freelancer = UserFactory.build(full_name="Priya Raman")
    project = Project(client=client, title="Booking; reminders, and a \\ path")
    interview = Interview(
        pk=7,
        proposal=Proposal(project=project, freelancer=freelancer),
        starts_at=datetime(2030, 5, 1, 12, 0, tzinfo=UTC),
        duration_minutes=30,
        sequence=2,
        note="Zürich ☕ meeting, " * 12,
    )
    # when its calendar file is written
    raw = ics.interview_calendar(interview, page_url="https://proofwork.test/interviews/7/")
    # then no line is longer than 75 octets, continuations start with a space,
    parts = raw.split("\r\n")
    assert all(len(part.encode("utf-8")) <= 75 for part in parts)
    assert all(part.startswith(" ") or re.match(r"[A-Z-]+[:;]", part) for part in parts[:-1])
    lines = unfold(raw)
    assert len(lines) < len(parts) - 1  # the long description was folded
    # and the text is escaped: backslash, semicolon and comma, line breaks as \n
    assert "SUMMARY:Interview: Booking\\; reminders\\, and a \\\\ path" in lines
    description = next(line for line in lines if line.startswith("DESCRIPTION:"))
    assert "\\nNote: " + "Zürich ☕ meeting\\, " * 12 in description
    # and the UID and SEQUENCE are those of the interview
    assert "UID:interview-7@proofwork" in lines and "SEQUENCE:2" in lines


def test_interview_list_shows_the_next_time(client, proposal, berlin_client, kolkata_priya):
    when = at_local(2, 9, KOLKATA)
    services.interview_propose(proposal=proposal, by=berlin_client, slots=[when], duration_minutes=30)
    log_in(client, kolkata_priya)
    page = client.get(reverse("interview_list")).content.decode()
    assert "Pick a time" in page
    assert f"{when:%H:%M} IST" in page
    assert "Build a clinic booking system" in page


def test_people_without_any_interviews_see_an_empty_state(client):
    log_in(client, UserFactory(is_freelancer=True))
    assert "No interviews yet" in client.get(reverse("interview_list")).content.decode()


def test_nothing_a_person_can_send_causes_a_server_error(client, proposal, berlin_client, priya):
    log_in(client, priya)
    project_id = proposal.project_id
    responses = [
        client.post(reverse("proposal_edit", args=[proposal.pk]), {}),
        client.post(reverse("proposal_edit", args=[proposal.pk]), {**form_data(), "milestones-TOTAL_FORMS": "abc"}),
        client.post(reverse("proposal_edit", args=[proposal.pk]), {**form_data(), "milestones-TOTAL_FORMS": "100000"}),
        client.post(reverse("proposal_edit", args=[proposal.pk]), form_data(bid="9" * 80, duration="9" * 30)),
        client.post(reverse("proposal_edit", args=[proposal.pk]), form_data(bid="NaN")),
        client.get("/proposals/99999999999999999999999999/"),
        client.post(reverse("proposal_create", args=[project_id]), {}),
    ]
    client.logout()
    log_in(client, berlin_client)
    interview = services.interview_propose(
        proposal=proposal, by=berlin_client, slots=[timezone.now() + timedelta(days=1)], duration_minutes=30
    )
    responses += [
        client.post(reverse("interview_offer_times", args=[interview.pk]), {}),
        client.post(reverse("interview_offer_times", args=[interview.pk]), {"slot_1": "99999-01-01T10:00"}),
        client.post(reverse("interview_offer_times", args=[interview.pk]), {"slot_1": "2025-13-45T99:99"}),
        client.post(reverse("interview_pick", args=[interview.pk]), {}),
        client.post(reverse("interview_cancel", args=[interview.pk]), {"reason": "x" * 301}),
        client.post(reverse("proposal_decline", args=[proposal.pk]), {"reason": "x" * 501}),
        client.get("/interviews/99999999999999999999999999/calendar.ics"),
    ]
    assert all(response.status_code < 500 for response in responses), [r.status_code for r in responses]
    proposal.refresh_from_db()
    interview.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED
    assert proposal.bid_cents == 600_00
    assert interview.status == Interview.Status.PROPOSED


def test_a_time_that_does_not_exist_in_the_persons_timezone_is_explained(client, proposal, berlin_client):
    # given Berlin's clocks jump from 02:00 to 03:00 on 29 March 2026
    log_in(client, berlin_client)
    response = client.post(
        reverse("interview_create", args=[proposal.pk]), {"slot_1": "2026-03-29T02:30", "duration_minutes": "30"}
    )
    assert "because the clocks change. Choose another time." in response.content.decode()
    assert Interview.objects.count() == 0


def test_a_paid_test_proposal_shows_every_error_at_once_each_on_its_field(client, client_of_project, priya):
    # given a paid test project ($500 and 14 days at most) with one required question
    test_project = open_project(client_of_project, test=True, questions=[("Which calendar do you use?", True)])
    question = test_project.questions.get()
    log_in(client, priya)
    # when Priya bids $600 over 20 days and leaves the question unanswered
    response = client.post(
        reverse("proposal_create", args=[test_project.pk]),
        form_data(bid="600", duration="20", milestones=[("Whole job", "600", in_days(5))]),
    )
    # then one answer names all three problems, each on its own field, and nothing is saved
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors[f"answer_{question.pk}"] == ["Answer this question; the client asked it of everyone."]
    assert errors["bid"] == ["A paid test project is capped at $500.00."]
    assert errors["duration_days"] == ["A paid test project takes at most 14 days."]
    assert Proposal.objects.count() == 0
