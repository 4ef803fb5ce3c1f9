"""The project pages as people use them: posting (incl. paid tests), the project page with its
trust panel and confidential brief, search, inviting freelancers and answering invitations."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Skill, SkillCategory
from marketplace import services
from marketplace.models import ConfidentialAccess, Invitation, NdaAcceptance, Project
from tests.factories import ClientProfileFactory, FreelancerProfileFactory
from tests.helpers import browser_for, text

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


# Helpers -------------------------------------------------------------------------------------


def today():
    return timezone.localdate()


def pdf(name: str = "brief.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def make_project(client, *, publish: bool = True, skills=(), questions=(), attachments=(), **overrides) -> Project:
    """A valid standard project (published unless told otherwise); any field can be overridden."""
    data = {
        "kind": Project.Kind.STANDARD,
        "title": "Build a booking page",
        "summary": "A booking page for a small clinic.",
        "description": "Patients pick a slot.\nStaff confirm it.",
        "category": SkillCategory.objects.order_by("pk").first(),
        "budget_min_cents": 800_00,
        "budget_max_cents": None,  # a fixed amount unless given
        "duration_days": 20,
        "apply_by": today() + timedelta(days=10),
    }
    if overrides.get("kind") == Project.Kind.TEST:
        data.update(duration_days=7, acceptance_criteria="The page works on mobile.", budget_min_cents=400_00)
    data.update(overrides)
    if data["budget_max_cents"] is None:
        data["budget_max_cents"] = data["budget_min_cents"]
    project = services.project_create(
        client=client, data=data, skills=list(skills), questions=list(questions), attachments=list(attachments)
    )
    if publish:
        project = services.project_publish(project=project, by=client)
    return project


def inline_error(response, field: str) -> str:
    """The error shown next to one form field ("" when there is none)."""
    match = re.search(rf'<ul class="errorlist"[^>]*id="id_{field}_error"[^>]*>(.*?)</ul>', response.text, re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split()) if match else ""


def paid_test_form(**overrides) -> dict:
    """What a client types into the paid-test form."""
    category = SkillCategory.objects.order_by("pk").first()
    data = {
        "title": "Add Stripe refunds to our shop",
        "summary": "A refund button for support staff.",
        "description": "Support staff need a refund button.\nIt calls Stripe and records the refund.",
        "acceptance_criteria": "A refund shows in Stripe and in our admin within a minute.",
        "follow_on_plan": "A three-month contract to rebuild checkout.",
        "category": category.pk,
        "skills": [category.skills.order_by("pk").first().pk],
        "experience_level": "intermediate",
        "budget_min": "450",
        "duration_days": "7",
        "apply_by": (today() + timedelta(days=10)).isoformat(),
        "question_1": "Have you used Stripe refunds before?",
        "question_1_required": "on",
        "visibility": "public",
        "nda_text": "Keep it secret.",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def skills():
    return {name: Skill.objects.get(name=name) for name in ("Python", "Django")}


# Posting a project ---------------------------------------------------------------------------


def test_a_client_posts_previews_and_publishes_a_paid_test_that_a_visitor_can_read(client, client_user):
    # given a client with a pitch
    client.force_login(client_user)
    # when they choose the kind of project
    choose = client.get(reverse("project_create"))
    assert "Paid test project" in text(choose) and "at most $500.00 and 14 days" in text(choose)
    # and fill in the paid-test form
    response = client.post(f"{reverse('project_create')}?kind=test", paid_test_form(), follow=True)
    # then they see a preview of their draft, with the money and deadlines next to the publish button
    project = Project.objects.get()
    assert response.redirect_chain[-1][0] == reverse("project_detail", args=[project.pk])
    page = text(response)
    assert "Draft — only you can see this" in page
    assert "Edit" in page and "Publish" in page and "Delete draft" in page
    assert "$450.00" in page
    assert f"Closes by itself {(timezone.now() + timedelta(days=30)):%-d %b %Y} if you publish today" in page
    assert "30 days after publishing: you can hire from the proposals until then" in page
    assert project.kind == Project.Kind.TEST and project.status == Project.Status.DRAFT
    assert project.budget_min_cents == project.budget_max_cents == 450_00
    assert [q.text for q in project.questions.all()] == ["Have you used Stripe refunds before?"]

    # when they publish it
    response = client.post(reverse("project_publish", args=[project.pk]), follow=True)
    # then it is open and the draft banner is gone
    assert "Published." in text(response) and "Draft — only you can see this" not in text(response)
    assert "Review proposals (0)" in text(response)

    # when an anonymous visitor opens it
    client.logout()
    page = text(client.get(reverse("project_detail", args=[project.pk])))
    # then they read the paid-test box, what "done" means, the follow-on plan and the client's record
    assert "Paid test project" in page
    assert "A refund shows in Stripe and in our admin within a minute." in page
    assert "A three-month contract to rebuild checkout." in page
    assert "Support staff need a refund button." in page
    assert "About this client" in page and "Not verified yet" in page and "Not known yet" in page
    assert "Have you used Stripe refunds before? (required)" in page
    assert "A small product team." in page  # the client's pitch
    assert "Sign in to send a proposal" in page
    assert "{#" not in page and "{%" not in page  # no template syntax leaks into the page


def test_the_description_keeps_line_breaks_and_escapes_markup(client, client_user):
    project = make_project(client_user, description="Line one\n<script>alert(1)</script>")
    response = client.get(reverse("project_detail", args=[project.pk]))
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert 'class="pre-line description"' in response.text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"budget_min": "600"}, "budget_min", "A paid test project is small: at most $500.00."),
        ({"acceptance_criteria": ""}, "acceptance_criteria", "a paid test needs acceptance criteria"),
        (
            {"budget_type": "range", "budget_min": "200", "budget_max": "300"},
            "budget_min",
            "A paid test project has one fixed price, not a range.",
        ),
        ({"apply_by": (timezone.localdate() - timedelta(days=1)).isoformat()}, "apply_by", "cannot be in the past"),
        ({"budget_min": "abc"}, "budget_min", "Enter an amount such as 45 or 45.50."),
        ({"budget_min": "0"}, "budget_min", "Enter an amount above zero"),
        ({"budget_min": "-5"}, "budget_min", "Enter an amount above zero"),
        ({"budget_min": "12.345"}, "budget_min", "Amounts can have at most two decimal places."),
        ({"budget_min": "1e99999999"}, "budget_min", "Enter an amount such as 45 or 45.50."),
        ({"duration_days": "20"}, "duration_days", "A paid test project takes at most 14 days."),
        ({"title": ""}, "title", "Give the project a title."),
    ],
)
def test_bad_input_on_a_paid_test_gets_an_inline_error_and_saves_nothing(
    client, client_user, overrides, field, message
):
    # given a client on the paid-test form
    client.force_login(client_user)
    # when they send something that breaks a rule
    response = client.post(f"{reverse('project_create')}?kind=test", paid_test_form(**overrides))
    # then the form comes back with the error next to the field, and nothing was saved
    assert response.status_code == 200
    assert "Please fix the problems marked below. Nothing was saved." in text(response)
    assert message in inline_error(response, field)
    assert not Project.objects.exists()


def test_a_paid_test_form_shows_every_error_at_once_each_on_its_field(client, client_user):
    # given a client on the paid-test form
    client.force_login(client_user)
    # when they leave out the title and the acceptance criteria and ask $600 over 20 days
    response = client.post(
        f"{reverse('project_create')}?kind=test",
        paid_test_form(title="", acceptance_criteria="", budget_min="600", duration_days="20"),
    )
    # then one answer shows each problem next to its field, and nothing was saved
    assert response.status_code == 200
    assert "Give the project a title." in inline_error(response, "title")
    assert "at most $500.00" in inline_error(response, "budget_min")
    assert "A paid test project takes at most 14 days." in inline_error(response, "duration_days")
    assert "acceptance criteria" in inline_error(response, "acceptance_criteria")
    assert not Project.objects.exists()


def test_a_range_on_a_standard_project_is_saved_and_shown_as_a_range(client, client_user):
    client.force_login(client_user)
    data = paid_test_form(budget_type="range", budget_min="1,000", budget_max="2500.50", duration_days="30")
    data.pop("follow_on_plan")
    response = client.post(f"{reverse('project_create')}?kind=standard", data, follow=True)
    project = Project.objects.get()
    assert (project.kind, project.budget_min_cents, project.budget_max_cents) == ("standard", 1000_00, 2500_50)
    assert "$1,000.00 – $2,500.50" in text(response)


def test_a_range_whose_top_is_below_its_bottom_is_refused_at_the_top_field(client, client_user):
    client.force_login(client_user)
    data = paid_test_form(budget_type="range", budget_min="900", budget_max="500", duration_days="30")
    response = client.post(f"{reverse('project_create')}?kind=standard", data)
    assert "cannot be below the lower end" in inline_error(response, "budget_max")
    assert not Project.objects.exists()


def test_blank_screening_questions_are_ignored_even_when_ticked_required(client, client_user):
    client.force_login(client_user)
    data = paid_test_form(question_2="   ", question_2_required="on", question_3="Your time zone?")
    client.post(f"{reverse('project_create')}?kind=test", data)
    project = Project.objects.get()
    assert [(q.text, q.required) for q in project.questions.all()] == [
        ("Have you used Stripe refunds before?", True),
        ("Your time zone?", False),
    ]


def test_an_html_file_renamed_pdf_is_refused_and_a_real_pdf_is_kept(client, client_user):
    client.force_login(client_user)
    disguised = SimpleUploadedFile("brief.pdf", b"<!DOCTYPE html><html><body>hi</body></html>", "application/pdf")
    response = client.post(f"{reverse('project_create')}?kind=test", paid_test_form(attachments=[disguised]))
    assert "contains HTML or SVG, which is not accepted" in inline_error(response, "attachments")
    assert not Project.objects.exists()

    client.post(f"{reverse('project_create')}?kind=test", paid_test_form(attachments=[pdf()]))
    assert [a.original_name for a in Project.objects.get().attachments.all()] == ["brief.pdf"]


def test_people_who_do_not_hire_cannot_post(client, freelancer):
    # anonymous visitors are sent to log in
    response = client.get(reverse("project_create"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    # a freelancer without the client role is told how to get it, and nothing is saved
    client.force_login(freelancer)
    response = client.post(f"{reverse('project_create')}?kind=test", paid_test_form(), follow=True)
    assert response.redirect_chain[-1][0] == reverse("onboarding")
    assert "Choose “I want to hire”" in text(response)
    assert not Project.objects.exists()


def test_a_draft_is_invisible_to_everyone_but_its_client(client, client_user, freelancer):
    draft = make_project(client_user, publish=False)
    other_client = ClientProfileFactory().user
    for person in (None, freelancer, other_client):
        client.logout()
        if person:
            client.force_login(person)
        assert client.get(reverse("project_detail", args=[draft.pk])).status_code == 404
    client.force_login(other_client)
    assert client.get(reverse("project_edit", args=[draft.pk])).status_code == 404
    assert client.post(reverse("project_publish", args=[draft.pk])).status_code == 404
    assert client.post(reverse("project_close", args=[draft.pk])).status_code == 404
    draft.refresh_from_db()
    assert draft.status == Project.Status.DRAFT


def test_the_client_edits_a_draft_and_removes_an_attachment(client, client_user):
    draft = make_project(client_user, publish=False, attachments=[pdf("old.pdf")])
    client.force_login(client_user)
    form = client.get(reverse("project_edit", args=[draft.pk]))
    assert 'value="Build a booking page"' in form.text and "Remove old.pdf" in text(form)
    data = paid_test_form(title="Build a better booking page", budget_min="900", duration_days="25")
    data["remove_attachments"] = [draft.attachments.get().pk]
    response = client.post(reverse("project_edit", args=[draft.pk]), data, follow=True)
    assert "Build a better booking page" in text(response)
    draft.refresh_from_db()
    assert (draft.title, draft.budget_min_cents, draft.kind) == ("Build a better booking page", 900_00, "standard")
    assert not draft.attachments.exists()


def test_a_published_project_cannot_be_edited_and_publish_errors_change_nothing(client, client_user):
    project = make_project(client_user)
    client.force_login(client_user)
    response = client.get(reverse("project_edit", args=[project.pk]), follow=True)
    assert "Only drafts can be edited." in text(response)
    response = client.post(reverse("project_publish", args=[project.pk]), follow=True)
    assert "Nothing was changed." in text(response)
    project.refresh_from_db()
    assert project.status == Project.Status.OPEN


def test_a_draft_whose_deadline_is_past_30_days_is_not_published(client, client_user):
    draft = make_project(client_user, publish=False)
    Project.objects.filter(pk=draft.pk).update(apply_by=today() + timedelta(days=45))  # saved before a rule change
    client.force_login(client_user)
    response = client.post(reverse("project_publish", args=[draft.pk]), follow=True)
    assert "Projects stay open 30 days: choose a deadline before then." in text(response)
    draft.refresh_from_db()
    assert draft.status == Project.Status.DRAFT


def test_the_client_closes_an_open_project_and_the_page_says_why(client, client_user):
    project = make_project(client_user)
    client.force_login(client_user)
    response = client.post(reverse("project_close", args=[project.pk]), follow=True)
    assert "The project is closed to proposals." in text(response)
    client.logout()
    page = text(client.get(reverse("project_detail", args=[project.pk])))
    assert "Closed by the client" in page and "This project is not taking proposals." in page


def test_the_two_deadlines_of_an_open_project_are_explained_in_one_place(client, client_user):
    # given an open project: proposals until its apply-by date, open itself until it expires
    project = make_project(client_user, apply_by=today() + timedelta(days=10))
    for viewer in (client_user, None):
        if viewer:
            client.force_login(viewer)
        else:
            client.logout()
        page = text(client.get(reverse("project_detail", args=[project.pk])))
        # then each date says what happens on it, once
        assert "Apply by " + f"{project.apply_by:%-d %b %Y}" + " (the last day freelancers can send a proposal)" in page
        closes = f"{timezone.localtime(project.expires_at):%-d %b %Y}"
        assert f"Closes {closes} (the client can still hire from the proposals until then;" in page
        assert page.count(closes) == 1
        assert "closes by itself on" not in page


# Who sees what --------------------------------------------------------------------------------


def test_an_invite_only_project_is_hidden_from_strangers_and_shown_to_the_invited(client, client_user, freelancer):
    project = make_project(client_user, visibility=Project.Visibility.INVITE_ONLY)
    stranger = FreelancerProfileFactory().user
    assert client.get(reverse("project_detail", args=[project.pk])).status_code == 404
    client.force_login(stranger)
    assert client.get(reverse("project_detail", args=[project.pk])).status_code == 404
    services.invitation_send(project=project, by=client_user, freelancer=freelancer)
    client.force_login(freelancer)
    response = client.get(reverse("project_detail", args=[project.pk]))
    assert response.status_code == 200
    assert "The client invited you to propose." in text(response)
    assert reverse("proposal_create", args=[project.pk]) in response.text


def test_a_freelancer_sees_a_button_to_propose(client, client_user, freelancer):
    project = make_project(client_user)
    client.force_login(freelancer)
    response = client.get(reverse("project_detail", args=[project.pk]))
    assert "Send a proposal" in text(response)
    assert f'href="{reverse("proposal_create", args=[project.pk])}"' in response.text


def test_the_trust_panel_shows_a_hire_rate_only_once_projects_were_decided(client, client_user):
    project = make_project(client_user)
    page = text(client.get(reverse("project_detail", args=[project.pk])))
    assert re.search(r"Hire rate Not known yet", page)
    other = make_project(client_user, title="Second")
    services.project_close(project=other, by=client_user)
    page = text(client.get(reverse("project_detail", args=[project.pk])))
    assert "0% of 1 closed project" in page
    assert "Projects posted 2" in page


def test_a_deleted_draft_counts_nowhere_and_is_gone_for_everyone(client, client_user, freelancer):
    # given a client with one published project, one project closed after publishing, and two drafts
    # they deleted (one of them with a freelancer invited to it)
    live = make_project(client_user)
    services.project_close(project=make_project(client_user, title="Closed after a week"), by=client_user)
    deleted = [make_project(client_user, publish=False, title=f"Idea {n}") for n in range(2)]
    services.invitation_send(project=deleted[0], freelancer=freelancer, by=client_user, message="Have a look")
    for draft in deleted:
        services.project_close(project=draft, by=client_user)

    # then freelancers see a record of the two posted projects only, on the project page and on the
    # client's public profile alike
    for url in (reverse("project_detail", args=[live.pk]), reverse("client_public", args=[client_user.pk])):
        page = text(client.get(url))
        assert "Projects posted 2" in page, url
        assert "0% of 1 closed project" in page, url

    # and the deleted drafts are on nobody's page: not the client's dashboard, not by their address,
    # not in the invited freelancer's invitations
    client.force_login(client_user)
    dashboard = text(client.get(reverse("dashboard")))
    assert "Idea 0" not in dashboard and "Idea 1" not in dashboard
    assert "Closed after a week" in dashboard
    for who in (client_user, freelancer):
        client.force_login(who)
        assert client.get(reverse("project_detail", args=[deleted[0].pk])).status_code == 404
    assert "Idea 0" not in text(client.get(reverse("invitation_list")))


def test_a_confidential_brief_is_shown_only_after_the_nda_and_every_access_is_logged(client, client_user, freelancer):
    # given a published confidential project with an attachment
    project = make_project(
        client_user,
        is_confidential=True,
        nda_text="Do not share our roadmap.",
        summary="Rebuild our pricing engine.",
        description="The secret roadmap: usage-based pricing in Q3.",
        attachments=[pdf("roadmap.pdf")],
    )
    attachment = project.attachments.get()
    detail = reverse("project_detail", args=[project.pk])
    download = reverse("project_attachment", args=[project.pk, attachment.pk])

    # an anonymous visitor sees the summary, budget and trust panel but is asked to log in
    page = text(client.get(detail))
    assert "Rebuild our pricing engine." in page and "$800.00" in page and "About this client" in page
    assert "secret roadmap" not in page and "roadmap.pdf" not in page
    assert "Sign in to read the NDA" in page
    assert client.get(download).status_code == 404

    # a freelancer who has not accepted the NDA sees the NDA, not the brief, and cannot download
    client.force_login(freelancer)
    page = text(client.get(detail))
    assert "Do not share our roadmap." in page and "I agree to the NDA" in page
    assert "secret roadmap" not in page and "roadmap.pdf" not in page
    assert client.get(download).status_code == 404
    assert not ConfidentialAccess.objects.exists()

    # when they accept the NDA
    page = text(client.post(reverse("project_nda_accept", args=[project.pk]), follow=True))
    # then they read the brief and can download the file
    assert "The secret roadmap: usage-based pricing in Q3." in page and "roadmap.pdf" in page
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == PDF_BYTES
    acceptance = NdaAcceptance.objects.get()
    assert (acceptance.freelancer, acceptance.ip_address) == (freelancer, "127.0.0.1")

    # and the client's page lists who accepted, viewed and downloaded
    client.force_login(client_user)
    page = text(client.get(detail))
    name = freelancer.display_name
    assert "Access log" in page
    assert re.search(rf"NDA accepted .*{re.escape(name)} ", page)
    assert f"{name} Viewed the full description" in page
    assert f"{name} Downloaded roadmap.pdf" in page
    # who and when, never where from: the network addresses are kept for staff alone
    assert "Network address" not in page and "127.0.0.1" not in page
    assert set(ConfidentialAccess.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}
    # the client's own visits are not logged
    assert ConfidentialAccess.objects.filter(user=client_user).count() == 0
    assert ConfidentialAccess.objects.filter(user=freelancer).count() == 2


def test_staff_read_the_network_addresses_of_nda_acceptances_that_the_client_does_not_see(
    client, client_user, freelancer, moderator
):
    # given a freelancer who accepted a confidential project's NDA and read the brief
    project = make_project(client_user, is_confidential=True, nda_text="Keep it secret.")
    client.force_login(freelancer)
    client.post(reverse("project_nda_accept", args=[project.pk]), REMOTE_ADDR="203.0.113.7", follow=True)
    # then the client reads who accepted and when, without the address
    client.force_login(client_user)
    page = text(client.get(reverse("project_detail", args=[project.pk])))
    assert freelancer.display_name in page and "203.0.113.7" not in page
    # and a moderator reads the audit record with it
    page = text(browser_for(moderator).get(reverse("moderation_view_project", args=[project.pk])))
    assert re.search(rf"{re.escape(freelancer.display_name)} .* 203\.0\.113\.7", page)


def test_an_invited_freelancer_reads_a_confidential_brief_without_the_nda(client, client_user, freelancer):
    project = make_project(client_user, is_confidential=True, description="Invited eyes only.")
    services.invitation_send(project=project, by=client_user, freelancer=freelancer)
    client.force_login(freelancer)
    page = text(client.get(reverse("project_detail", args=[project.pk])))
    assert "Invited eyes only." in page and "I agree to the NDA" not in page


def test_the_project_page_needs_the_same_queries_whatever_the_number_of_skills_and_questions(
    client, client_user, freelancer, django_assert_max_num_queries
):
    few = make_project(client_user, skills=Skill.objects.order_by("pk")[:1], questions=[{"text": "Q1"}])
    many = make_project(
        client_user,
        title="Many",
        skills=Skill.objects.order_by("pk")[:10],
        questions=[{"text": f"Q{i}"} for i in range(5)],
        attachments=[pdf("a.pdf"), pdf("b.pdf")],
    )
    client.force_login(freelancer)
    with CaptureQueriesContext(connection) as few_queries:
        assert client.get(reverse("project_detail", args=[few.pk])).status_code == 200
    with django_assert_max_num_queries(len(few_queries)):
        assert client.get(reverse("project_detail", args=[many.pk])).status_code == 200


# Search ---------------------------------------------------------------------------------------


@pytest.fixture
def market(client_user, skills):
    """A handful of projects: three that search may find and four it must never show."""
    verified = ClientProfileFactory(payment_method_verified_at=timezone.now()).user
    found = {
        "logo": make_project(
            client_user,
            kind=Project.Kind.TEST,
            title="Logo refresh",
            budget_min_cents=300_00,
            skills=[skills["Python"]],
        ),
        "payments": make_project(
            verified,
            title="Django payments integration",
            budget_min_cents=2000_00,
            budget_max_cents=4000_00,
            skills=[skills["Django"]],
        ),
        "mobile": make_project(client_user, title="Mobile app screens", budget_min_cents=800_00),
    }
    hidden = {
        "draft": make_project(client_user, publish=False, title="Draft payments job"),
        "closed": services.project_close(
            project=make_project(client_user, title="Closed payments job"), by=client_user
        ),
        "invite_only": make_project(
            client_user, title="Invite-only payments job", visibility=Project.Visibility.INVITE_ONLY
        ),
        "confidential": make_project(
            client_user,
            title="Secret job",
            budget_min_cents=1000_00,
            is_confidential=True,
            description="Mentions zanzibarquokka only here.",
        ),
    }
    return found, hidden


def titles(response) -> list[str]:
    return [
        html.unescape(title) for title in re.findall(r'<h2><a href="/projects/\d+/">([^<]+)</a></h2>', response.text)
    ]


def test_search_shows_only_open_public_projects(client, market):
    found, hidden = market
    response = client.get(reverse("project_search"))
    assert sorted(titles(response)) == sorted([p.title for p in found.values()] + ["Secret job"])
    for project in hidden.values():
        if project.title != "Secret job":
            assert project.title not in text(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"test_only": "on"}, ["Logo refresh"]),
        ({"budget_min": "1500"}, ["Django payments integration"]),
        ({"budget_max": "500"}, ["Logo refresh"]),
        ({"budget_min": "500", "budget_max": "900.50"}, ["Mobile app screens"]),
        ({"q": "payments"}, ["Django payments integration"]),
        ({"q": "zanzibarquokka"}, []),
        ({"budget_min": "99999999999999999999"}, []),
        ({"budget_max": "99999999999999999999", "test_only": "on"}, ["Logo refresh"]),
        ({"verified": "on"}, ["Django payments integration"]),
        ({"sort": "budget_high", "q": "a"}, None),
    ],
)
def test_search_filters_find_the_expected_projects(client, market, query, expected):
    response = client.get(reverse("project_search"), query)
    assert response.status_code == 200
    if expected is not None:
        assert titles(response) == expected
    if expected == []:
        assert "No open projects match" in text(response)


def test_search_by_skill_and_sort_by_budget(client, market, skills):
    response = client.get(reverse("project_search"), {"skills": [skills["Django"].pk]})
    assert titles(response) == ["Django payments integration"]
    response = client.get(reverse("project_search"), {"sort": "budget_low"})
    assert titles(response)[0] == "Logo refresh"
    response = client.get(reverse("project_search"), {"sort": "budget_high"})
    assert titles(response)[0] == "Django payments integration"


def test_a_search_card_shows_what_a_freelancer_decides_on_and_never_the_confidential_brief(client, market):
    page = text(client.get(reverse("project_search")))
    assert "Paid test project" in page and "$300.00" in page and "$2,000.00 – $4,000.00" in page
    assert "Payment verified" in page
    assert "Django" in page  # a skill
    assert "zanzibarquokka" not in page


def test_bad_search_values_are_ignored_with_a_note(client, market):
    response = client.get(
        reverse("project_search"),
        {"budget_min": "abc", "budget_max": "-5", "posted": "9", "skills": ["x"], "category": "no", "page": "zz"},
    )
    assert response.status_code == 200
    page = text(response)
    assert "We ignored the minimum budget “abc”" in page
    assert "We ignored the maximum budget “-5”" in page
    assert "We ignored the posted within" in page
    assert len(titles(response)) == 4  # every open public project, as if no filter was given


def test_search_results_need_the_same_queries_for_2_and_20_results(
    client, client_user, freelancer, skills, django_assert_max_num_queries
):
    for i in range(2):
        make_project(client_user, title=f"Job {i}", skills=list(skills.values()))
    client.force_login(freelancer)
    with CaptureQueriesContext(connection) as two:
        response = client.get(reverse("project_search"), {"q": "job"})
    assert len(titles(response)) == 2
    for i in range(2, 20):
        owner = ClientProfileFactory().user  # a different client per card, as in real results
        make_project(owner, title=f"Job {i}", skills=list(skills.values()))
    with django_assert_max_num_queries(len(two)):
        response = client.get(reverse("project_search"), {"q": "job"})
    assert len(titles(response)) == 20


def test_search_pages_keep_the_filters(client, client_user):
    for i in range(21):
        make_project(client_user, title=f"Paged job {i}", kind=Project.Kind.TEST, budget_min_cents=100_00)
    response = client.get(reverse("project_search"), {"test_only": "on"})
    assert len(titles(response)) == 20
    assert "test_only=on&amp;page=2" in response.text
    response = client.get(reverse("project_search"), {"test_only": "on", "page": "2"})
    assert len(titles(response)) == 1


# Inviting and invitations ---------------------------------------------------------------------


def test_a_client_invites_a_freelancer_from_the_freelancer_search(client, client_user, freelancer):
    # given an open project and a freelancer with a public profile
    project = make_project(client_user)
    client.force_login(client_user)
    search = f"{reverse('freelancer_search')}?project={project.pk}"
    # when the client searches freelancers for that project
    response = client.get(search)
    page = text(response)
    assert freelancer.display_name in page and "Inviting freelancers to “Build a booking page”" in page
    assert f'href="{reverse("freelancer_public", args=[freelancer.pk])}"' in response.text
    # and invites one with a message
    response = client.post(
        reverse("project_invite", args=[project.pk]),
        {"freelancer": freelancer.pk, "message": "Your clinic work fits.", "next": search},
        follow=True,
    )
    # then they are back on the search, where the freelancer shows as invited
    assert response.redirect_chain[-1][0] == search
    assert f"{freelancer.display_name} is invited to “Build a booking page”." in text(response)
    assert "Invited" in text(response)
    invitation = Invitation.objects.get()
    assert (invitation.freelancer, invitation.message) == (freelancer, "Your clinic work fits.")
    # inviting twice says so and changes nothing
    response = client.post(reverse("project_invite", args=[project.pk]), {"freelancer": freelancer.pk}, follow=True)
    assert "You already invited" in text(response)
    assert Invitation.objects.count() == 1


def test_freelancer_search_filters_by_words_and_is_for_clients_only(client, client_user, freelancer):
    FreelancerProfileFactory(headline="Illustrator for children's books", skills=[])
    client.force_login(client_user)
    page = text(client.get(reverse("freelancer_search"), {"q": "illustrator"}))
    assert "Illustrator for children's books" in page and freelancer.display_name not in page
    client.force_login(freelancer)
    assert client.get(reverse("freelancer_search"))["Location"] == reverse("onboarding")


def test_nobody_invites_to_someone_elses_project(client, client_user, freelancer):
    project = make_project(client_user)
    client.force_login(ClientProfileFactory().user)
    response = client.post(reverse("project_invite", args=[project.pk]), {"freelancer": freelancer.pk})
    assert response.status_code == 404
    assert not Invitation.objects.exists()


def test_a_freelancer_accepts_an_invitation_and_goes_on_to_the_proposal(client, client_user, freelancer):
    project = make_project(client_user, title="Clinic booking", budget_min_cents=1200_00)
    services.invitation_send(project=project, by=client_user, freelancer=freelancer, message="You fit.")
    client.force_login(freelancer)
    page = text(client.get(reverse("invitation_list")))
    assert "Clinic booking" in page and "$1,200.00" in page and "You fit." in page
    assert client_user.client_profile.display_name in page
    assert f"Apply by {project.apply_by:%-d %b %Y}" in page
    invitation = Invitation.objects.get()
    response = client.post(reverse("invitation_accept", args=[invitation.pk]))
    assert response["Location"] == reverse("proposal_create", args=[project.pk])
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    page = text(client.get(reverse("invitation_list")))
    assert "No invitations waiting" in page and "Accepted on" in page


def test_a_freelancer_declines_an_invitation_with_a_reason(client, client_user, freelancer):
    project = make_project(client_user)
    invitation = services.invitation_send(project=project, by=client_user, freelancer=freelancer)
    client.force_login(freelancer)
    response = client.post(
        reverse("invitation_decline", args=[invitation.pk]), {"reason": "Fully booked in May."}, follow=True
    )
    assert "You declined the invitation" in text(response)
    assert "Declined on" in text(response) and "“Fully booked in May.”" in text(response)
    invitation.refresh_from_db()
    assert (invitation.status, invitation.decline_reason) == ("declined", "Fully booked in May.")
    # answering again changes nothing
    response = client.post(reverse("invitation_accept", args=[invitation.pk]), follow=True)
    assert "already declined" in text(response)


def test_someone_elses_invitation_is_not_found(client, client_user, freelancer):
    invitation = services.invitation_send(project=make_project(client_user), by=client_user, freelancer=freelancer)
    client.force_login(FreelancerProfileFactory().user)
    assert client.post(reverse("invitation_accept", args=[invitation.pk])).status_code == 404
    assert client.post(reverse("invitation_decline", args=[invitation.pk])).status_code == 404


def test_the_navigation_links_to_find_work_and_post_a_project(client, client_user, freelancer):
    client.force_login(freelancer)
    page = client.get(reverse("project_search")).text
    assert f'href="{reverse("project_search")}">Find work' in page and "Post a project</a>" not in page
    client.force_login(client_user)
    page = client.get(reverse("project_search")).text
    assert f'href="{reverse("project_create")}">Post a project' in page


def test_a_client_invites_a_freelancer_from_their_public_profile(client):
    from marketplace.models import Invitation
    from tests.marketplace.factories import new_client, new_freelancer, open_project

    # given a client with an open project looking at a freelancer's public profile
    hirer, worker = new_client(), new_freelancer()
    project = open_project(client=hirer)
    client.force_login(hirer)
    page = client.get(reverse("freelancer_public", args=[worker.pk]))
    assert f"Invite {worker.display_name} to propose" in page.text
    # when they pick the project and send
    response = client.post(
        reverse("freelancer_invite", args=[worker.pk]),
        {"project": project.pk, "freelancer": worker.pk, "message": "Your portfolio fits."},
    )
    # then the freelancer is invited, and the form no longer offers that project
    assert response.status_code == 302
    assert Invitation.objects.filter(project=project, freelancer=worker, message="Your portfolio fits.").exists()
    assert "You invited" in client.get(reverse("freelancer_public", args=[worker.pk])).text


def test_inviting_to_someone_elses_project_from_a_profile_changes_nothing(client):
    from marketplace.models import Invitation
    from tests.marketplace.factories import new_client, new_freelancer, open_project

    stranger_project = open_project(client=new_client())
    hirer, worker = new_client(), new_freelancer()
    client.force_login(hirer)
    response = client.post(
        reverse("freelancer_invite", args=[worker.pk]), {"project": stranger_project.pk, "freelancer": worker.pk}
    )
    assert response.status_code == 302
    assert not Invitation.objects.exists()
    assert "Choose one of your open or draft projects" in client.get(response["Location"]).text


def test_freelancers_and_visitors_see_no_invite_form(client):
    from tests.marketplace.factories import new_freelancer

    worker = new_freelancer()
    assert "to propose" not in client.get(reverse("freelancer_public", args=[worker.pk])).text
    client.force_login(new_freelancer())
    assert "to propose" not in client.get(reverse("freelancer_public", args=[worker.pk])).text
