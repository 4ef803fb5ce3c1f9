"""The market over the REST API: the same rules as the pages, with the right status codes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from contracts.models import Offer
from marketplace.models import (
    ConfidentialAccess,
    Interview,
    Invitation,
    NdaAcceptance,
    Project,
    ProjectAttachment,
    Proposal,
    ProposalAttachment,
)
from tests.factories import image_upload
from tests.helpers import api_for
from tests.marketplace.factories import (
    ProjectFactory,
    draft_project,
    in_days,
    new_client,
    new_freelancer,
    open_project,
    skills_named,
    submit_proposal,
    web_category,
)

pytestmark = pytest.mark.django_db


def project_body(**overrides) -> dict:
    body = {
        "kind": "test",
        "title": "Speed up our Django checkout",
        "summary": "Profile the checkout and fix the three slowest queries.",
        "description": "Our checkout takes 4 seconds.\nFind out why and fix it.",
        "acceptance_criteria": "Checkout p95 under 800 ms on the staging data set.",
        "follow_on_plan": "A three-month retainer for the rest of the shop.",
        "category": web_category().pk,
        "skills": [skill.pk for skill in skills_named("Python", "Django")],
        "experience_level": "expert",
        "budget_min_cents": 400_00,
        "duration_days": 7,
        "apply_by": in_days(10).isoformat(),
        "visibility": "public",
        "is_confidential": False,
        "questions": [{"text": "Which profiler would you use?", "required": True}],
    }
    body.update(overrides)
    return body


def proposal_body(project: Project, *, bid_cents: int | None = None, **overrides) -> dict:
    bid = project.budget_max_cents if bid_cents is None else bid_cents
    body = {
        "cover_letter": "I cut a Django checkout from 3 s to 400 ms last year; here is my plan.",
        "bid_cents": bid,
        "duration_days": min(project.duration_days, 7),
        "milestones": [{"title": "Profile and fix", "amount_cents": bid, "due_date": in_days(7).isoformat()}],
        "answers": [
            {"question": question.pk, "text": "py-spy and django-silk."} for question in project.questions.all()
        ],
    }
    body.update(overrides)
    return body


def slots(*hours: int) -> list[str]:
    now = timezone.now().replace(microsecond=0)
    return [(now + timedelta(hours=h)).isoformat() for h in hours]


# --- The whole journey -----------------------------------------------------------------------


def test_paid_test_from_draft_to_hire_by_api(client_user, freelancer):
    client_api, freelancer_api = api_for(client_user), api_for(freelancer)

    # given a client who drafts a paid test project and publishes it
    created = client_api.post("/api/v1/projects/", project_body(), format="json")
    assert created.status_code == 201, created.json()
    project = created.json()
    assert project["status"] == "draft"
    assert project["budget_max_cents"] == 400_00  # a fixed price: the maximum defaults to the minimum
    assert [q["text"] for q in project["questions"]] == ["Which profiler would you use?"]
    published = client_api.post(f"/api/v1/projects/{project['id']}/publish/")
    assert published.status_code == 200 and published.json()["status"] == "open"

    # when a freelancer searches for paid tests about checkout
    found = freelancer_api.get("/api/v1/projects/", {"q": "checkout", "test_only": "true", "budget_max": 500_00})
    assert found.status_code == 200
    assert [item["id"] for item in found.json()["results"]] == [project["id"]]
    listed = found.json()["results"][0]
    assert listed["client_trust"]["projects_posted"] == 1
    assert listed["client_trust"]["hire_rate_percent"] is None  # not known yet, never a made-up zero
    assert listed["client_trust"]["total_spent_cents"] is None
    assert "description" not in listed  # search results carry the summary only

    # and sends a proposal with one milestone and the answer to the screening question
    detail = freelancer_api.get(f"/api/v1/projects/{project['id']}/").json()
    assert detail["full_brief_visible"] is True and detail["description"].startswith("Our checkout")
    question_id = detail["questions"][0]["id"]
    body = {
        "cover_letter": "I cut a Django checkout from 3 s to 400 ms last year.",
        "bid_cents": 400_00,
        "duration_days": 5,
        "milestones": [{"title": "Profile and fix", "amount_cents": 400_00, "due_date": in_days(6).isoformat()}],
        "answers": [{"question": question_id, "text": "py-spy, then django-silk."}],
    }
    sent = freelancer_api.post(f"/api/v1/projects/{project['id']}/proposals/", body, format="json")
    assert sent.status_code == 201, sent.json()
    proposal = sent.json()
    assert proposal["status"] == "submitted"
    assert proposal["milestones"][0]["amount_cents"] == 400_00
    assert proposal["answers"][0]["text"] == "py-spy, then django-silk."
    assert proposal["conversation_id"] is not None

    # then the client sees it, shortlists and hires
    received = client_api.get(f"/api/v1/projects/{project['id']}/proposals/")
    assert [item["id"] for item in received.json()["results"]] == [proposal["id"]]
    assert received.json()["results"][0]["freelancer"]["headline"]
    shortlisted = client_api.post(f"/api/v1/proposals/{proposal['id']}/shortlist/")
    assert shortlisted.status_code == 200 and shortlisted.json()["status"] == "shortlisted"
    hired = client_api.post(f"/api/v1/proposals/{proposal['id']}/hire/")
    assert hired.status_code == 200, hired.json()
    assert hired.json()["status"] == "offered"
    offer = Offer.objects.get(proposal_id=proposal["id"])
    assert hired.json()["offer"] == {"id": offer.pk, "status": "offered", "total_cents": 400_00, "currency": "USD"}
    assert list(offer.milestones.values_list("amount_cents", flat=True)) == [400_00]
    assert client_api.get(f"/api/v1/projects/{project['id']}/").json()["status"] == "open"
    # and when the freelancer accepts the offer, they are hired and the project is filled
    assert freelancer_api.post(f"/api/v1/offers/{offer.pk}/accept/").status_code == 200
    assert client_api.get(f"/api/v1/projects/{project['id']}/").json()["status"] == "filled"
    mine = freelancer_api.get("/api/v1/proposals/").json()["results"]
    assert [(item["id"], item["status"]) for item in mine] == [(proposal["id"], "hired")]


def test_search_filters_and_sort_match_the_search_page(client_user):
    cheap = open_project(
        client=client_user, title="Fix a Django admin bug", budget_min_cents=200_00, budget_max_cents=200_00
    )
    dear = open_project(
        client=client_user, title="Build a Django shop", budget_min_cents=5_000_00, budget_max_cents=8_000_00
    )
    draft_project(client=client_user, title="Unpublished Django idea")
    api = api_for()  # anonymous visitors browse too

    everything = api.get("/api/v1/projects/", {"sort": "budget_high"}).json()
    assert [item["id"] for item in everything["results"]] == [dear.pk, cheap.pk]
    assert everything["count"] == 2
    in_range = api.get("/api/v1/projects/", {"budget_min": 1_000_00}).json()["results"]
    assert [item["id"] for item in in_range] == [dear.pk]
    python = skills_named("Python")[0]
    by_skill = api.get("/api/v1/projects/", {"skills": f"{python.pk}", "q": "admin"}).json()["results"]
    assert [item["id"] for item in by_skill] == [cheap.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"budget_min": "12.5"}, "budget_min"),
        ({"budget_max": "lots"}, "budget_max"),
        ({"budget_min": "-5"}, "budget_min"),
        ({"budget_min": "500", "budget_max": "100"}, "budget_max"),
        ({"skills": "3,x"}, "skills"),
        ({"sort": "random"}, "sort"),
        ({"posted_within_days": "0"}, "posted_within_days"),
    ],
)
def test_bad_search_parameters_get_a_clear_400(params, field):
    response = api_for().get("/api/v1/projects/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_my_projects_include_drafts_and_need_sign_in(client_user):
    draft = draft_project(client=client_user)
    assert api_for().get("/api/v1/projects/", {"mine": "true"}).status_code in (401, 403)
    mine = api_for(client_user).get("/api/v1/projects/", {"mine": "true"}).json()["results"]
    assert [(item["id"], item["status"], item["proposal_count"]) for item in mine] == [(draft.pk, "draft", 0)]


# --- Illegal moves: 409 ----------------------------------------------------------------------


def test_publishing_twice_is_a_conflict(client_user):
    project = draft_project(client=client_user)
    api = api_for(client_user)
    assert api.post(f"/api/v1/projects/{project.pk}/publish/").status_code == 200
    again = api.post(f"/api/v1/projects/{project.pk}/publish/")
    assert again.status_code == 409
    assert again.json()["detail"]


def test_hiring_a_withdrawn_proposal_is_a_conflict_and_changes_nothing(client_user, freelancer):
    project = open_project(client=client_user)
    proposal = submit_proposal(project=project, freelancer=freelancer)
    assert api_for(freelancer).post(f"/api/v1/proposals/{proposal.pk}/withdraw/").json()["status"] == "withdrawn"

    response = api_for(client_user).post(f"/api/v1/proposals/{proposal.pk}/hire/")

    assert response.status_code == 409
    project.refresh_from_db()
    assert project.status == Project.Status.OPEN
    assert not Offer.objects.filter(proposal=proposal).exists()


def test_editing_a_published_project_is_a_conflict(client_user):
    project = open_project(client=client_user)
    response = api_for(client_user).patch(f"/api/v1/projects/{project.pk}/", {"title": "New title"}, format="json")
    assert response.status_code == 409
    project.refresh_from_db()
    assert project.title != "New title"


# --- Bad input: 400 with a field message, and nothing changes --------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"budget_min_cents": 12.5}, "budget_min_cents", "whole cents"),
        ({"budget_min_cents": "12.5"}, "budget_min_cents", "whole cents"),
        ({"budget_min_cents": 400.0}, "budget_min_cents", "whole cents"),
        ({"budget_min_cents": True}, "budget_min_cents", "whole cents"),
        ({"budget_min_cents": 900_00}, "budget_max_cents", "paid test"),
        ({"acceptance_criteria": ""}, "acceptance_criteria", "done"),
        ({"apply_by": (timezone.localdate() - timedelta(days=1)).isoformat()}, "apply_by", "past"),
        ({"category": 999_999}, "category", "no category"),
        ({"skills": [999_999]}, "skills", "no skill"),
        ({"questions": [{"text": "Q?"}] * 6}, "questions", "at most 5"),
        ({"kind": "hourly"}, "kind", "valid choice"),
    ],
)
def test_bad_project_input_is_refused_with_a_field_message(client_user, overrides, field, words):
    response = api_for(client_user).post("/api/v1/projects/", project_body(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert words in " ".join(response.json()[field]).lower() or words in str(response.json()[field]).lower()
    assert not Project.objects.exists()


def test_only_clients_post_projects(freelancer):
    response = api_for(freelancer).post("/api/v1/projects/", project_body(), format="json")
    assert response.status_code == 400
    assert "hire" in response.json()["detail"]
    assert not Project.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda body: body["milestones"][0].update(amount_cents=100_00), "milestones", "add up"),
        (
            lambda body: body.update(
                bid_cents=0, milestones=[{"title": "All", "amount_cents": 0, "due_date": in_days(5).isoformat()}]
            ),
            "bid_cents",
            "above zero",
        ),
        (lambda body: body.update(bid_cents=299.5), "bid_cents", "whole cents"),
        (lambda body: body["milestones"][0].update(amount_cents="100.25"), "milestones", "whole cents"),
        (lambda body: body.update(answers=[]), "answers", "answer the question"),
        (lambda body: body["milestones"][0].update(due_date="2001-01-01"), "milestones", "past"),
        (lambda body: body.update(status="hired"), "status", "cannot be set"),
    ],
)
def test_bad_proposal_input_is_refused_with_a_field_message(client_user, freelancer, change, field, words):
    project = open_project(
        client=client_user, kind=Project.Kind.TEST, questions=[{"text": "Profiler?", "required": True}]
    )
    body = proposal_body(project)
    change(body)

    response = api_for(freelancer).post(f"/api/v1/projects/{project.pk}/proposals/", body, format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert words in str(response.json()[field]).lower()
    assert not Proposal.objects.exists()


def test_a_second_proposal_is_refused(client_user, freelancer):
    project = open_project(client=client_user)
    api = api_for(freelancer)
    assert (
        api.post(f"/api/v1/projects/{project.pk}/proposals/", proposal_body(project), format="json").status_code == 201
    )

    again = api.post(f"/api/v1/projects/{project.pk}/proposals/", proposal_body(project), format="json")

    assert again.status_code == 400
    assert "already sent a proposal" in again.json()["detail"]
    assert Proposal.objects.count() == 1


def test_the_author_edits_a_proposal_and_the_client_cannot(client_user, freelancer):
    project = open_project(client=client_user)
    proposal = submit_proposal(project=project, freelancer=freelancer)
    api = api_for(freelancer)

    edited = api.patch(f"/api/v1/proposals/{proposal.pk}/", {"cover_letter": "A sharper plan."}, format="json")
    assert edited.status_code == 200 and edited.json()["cover_letter"] == "A sharper plan."
    assert edited.json()["bid_cents"] == proposal.bid_cents  # the rest is kept
    bad = api.patch(f"/api/v1/proposals/{proposal.pk}/", {"bid_cents": proposal.bid_cents + 1}, format="json")
    assert bad.status_code == 400 and "milestones" in bad.json()
    by_client = api_for(client_user).patch(f"/api/v1/proposals/{proposal.pk}/", {"cover_letter": "x"}, format="json")
    assert by_client.status_code == 403
    proposal.refresh_from_db()
    assert proposal.cover_letter == "A sharper plan."


# --- Who sees what: 404 for non-parties, 401/403 for anonymous writes ------------------------


def test_non_parties_get_404_on_proposals_and_project_proposal_lists(client_user, freelancer):
    project = open_project(client=client_user)
    proposal = submit_proposal(project=project, freelancer=freelancer)
    outsider = api_for(new_freelancer())

    assert outsider.get(f"/api/v1/proposals/{proposal.pk}/").status_code == 404
    assert outsider.post(f"/api/v1/proposals/{proposal.pk}/withdraw/").status_code == 404
    assert (
        outsider.patch(f"/api/v1/proposals/{proposal.pk}/", {"cover_letter": "Mine now"}, format="json").status_code
        == 404
    )
    assert outsider.get(f"/api/v1/projects/{project.pk}/proposals/").status_code == 404
    assert outsider.get("/api/v1/proposals/").json()["results"] == []
    # the author cannot list the competition either
    assert api_for(freelancer).get(f"/api/v1/projects/{project.pk}/proposals/").status_code == 404
    assert api_for(freelancer).get(f"/api/v1/proposals/{proposal.pk}/").status_code == 200
    assert api_for(client_user).get(f"/api/v1/proposals/{proposal.pk}/").status_code == 200


def test_other_peoples_drafts_are_404(client_user):
    draft = draft_project(client=client_user)
    for api in (api_for(new_client()), api_for(new_freelancer()), api_for()):
        assert api.get(f"/api/v1/projects/{draft.pk}/").status_code == 404
    other = api_for(new_client())
    assert other.patch(f"/api/v1/projects/{draft.pk}/", {"title": "Hijacked"}, format="json").status_code == 404
    assert other.post(f"/api/v1/projects/{draft.pk}/publish/").status_code == 404
    draft.refresh_from_db()
    assert draft.status == Project.Status.DRAFT and draft.title != "Hijacked"


def test_anonymous_can_read_public_projects_but_not_write(client_user):
    project = open_project(client=client_user)
    anonymous = api_for()
    assert anonymous.get("/api/v1/projects/").status_code == 200
    detail = anonymous.get(f"/api/v1/projects/{project.pk}/")
    assert detail.status_code == 200 and detail.json()["client"]["pitch"]["vision"]
    for path, body in [
        ("/api/v1/projects/", project_body()),
        (f"/api/v1/projects/{project.pk}/proposals/", proposal_body(project)),
        (f"/api/v1/projects/{project.pk}/close/", {}),
        ("/api/v1/invitations/", {}),
        ("/api/v1/interviews/", {}),
    ]:
        assert anonymous.post(path, body, format="json").status_code in (401, 403), path
    assert anonymous.get("/api/v1/proposals/").status_code in (401, 403)
    project.refresh_from_db()
    assert project.status == Project.Status.OPEN


def test_confidential_brief_is_hidden_without_nda_and_logged_when_read(client_user, freelancer):
    project = ProjectFactory(client=client_user, published=True, confidential=True, description="Secret plans.")

    outsider = api_for(freelancer).get(f"/api/v1/projects/{project.pk}/").json()
    assert outsider["full_brief_visible"] is False
    assert outsider["description"] is None and outsider["attachments"] == []
    assert outsider["summary"] and outsider["nda_text"]
    assert not ConfidentialAccess.objects.exists()

    proposal = api_for(freelancer).post(
        f"/api/v1/projects/{project.pk}/proposals/", proposal_body(project), format="json"
    )
    assert proposal.status_code == 400 and "NDA" in proposal.json()["detail"]

    other = new_freelancer()
    accepted = api_for(other).post(f"/api/v1/projects/{project.pk}/nda/")
    assert accepted.status_code == 200 and accepted.json()["description"] == "Secret plans."
    assert NdaAcceptance.objects.filter(project=project, freelancer=other).count() == 1
    assert api_for(client_user).post(f"/api/v1/projects/{project.pk}/nda/").status_code == 403

    Invitation.objects.create(project=project, freelancer=freelancer)
    invited = api_for(freelancer).get(f"/api/v1/projects/{project.pk}/").json()
    assert invited["full_brief_visible"] is True and invited["description"] == "Secret plans."
    assert ConfidentialAccess.objects.filter(project=project, user=freelancer, action="view").count() == 1
    # the answer to accepting carries the full brief, so it is logged as a view
    assert ConfidentialAccess.objects.filter(project=project, user=other, action="view").count() == 1
    assert api_for(client_user).get(f"/api/v1/projects/{project.pk}/").json()["description"] == "Secret plans."


# --- Mass assignment -------------------------------------------------------------------------


def test_status_client_and_published_at_cannot_be_assigned(client_user):
    intruder = new_client()
    body = project_body(status="open", client=intruder.pk, published_at=timezone.now().isoformat())
    api = api_for(client_user)

    refused = api.post("/api/v1/projects/", body, format="json")

    assert refused.status_code == 400
    assert set(refused.json()) == {"status", "client", "published_at"}
    assert not Project.objects.exists()

    project = draft_project(client=client_user)
    patch = api.patch(f"/api/v1/projects/{project.pk}/", {"status": "open", "client": intruder.pk}, format="json")
    assert patch.status_code == 400
    project.refresh_from_db()
    assert project.status == Project.Status.DRAFT and project.client == client_user

    edited = api.patch(f"/api/v1/projects/{project.pk}/", {"title": "Booking system, phase one"}, format="json")
    assert edited.status_code == 200 and edited.json()["title"] == "Booking system, phase one"
    project.refresh_from_db()
    assert project.status == Project.Status.DRAFT and project.published_at is None


# --- Invitations -----------------------------------------------------------------------------


def test_client_invites_and_freelancer_accepts(client_user, freelancer):
    project = open_project(client=client_user, visibility=Project.Visibility.INVITE_ONLY)
    client_api, freelancer_api = api_for(client_user), api_for(freelancer)

    sent = client_api.post(
        "/api/v1/invitations/",
        {"project": project.pk, "freelancer": freelancer.pk, "message": "Your profile fits."},
        format="json",
    )
    assert sent.status_code == 201, sent.json()
    twice = client_api.post("/api/v1/invitations/", {"project": project.pk, "freelancer": freelancer.pk}, format="json")
    assert twice.status_code == 400

    received = freelancer_api.get("/api/v1/invitations/").json()["results"]
    assert [item["id"] for item in received] == [sent.json()["id"]]
    assert client_api.get("/api/v1/invitations/", {"project": project.pk, "direction": "sent"}).json()["count"] == 1
    assert api_for(new_freelancer()).post(f"/api/v1/invitations/{sent.json()['id']}/accept/").status_code == 404
    accepted = freelancer_api.post(f"/api/v1/invitations/{sent.json()['id']}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert freelancer_api.post(f"/api/v1/invitations/{sent.json()['id']}/decline/").status_code == 409
    # the invite-only project now takes this freelancer's proposal
    proposed = freelancer_api.post(f"/api/v1/projects/{project.pk}/proposals/", proposal_body(project), format="json")
    assert proposed.status_code == 201


def test_a_client_cannot_invite_to_someone_elses_project(client_user, freelancer):
    project = open_project(client=new_client())
    response = api_for(client_user).post(
        "/api/v1/invitations/", {"project": project.pk, "freelancer": freelancer.pk}, format="json"
    )
    assert response.status_code == 400 and "project" in response.json()
    assert not Invitation.objects.exists()


# --- Interviews ------------------------------------------------------------------------------


def test_interview_propose_pick_and_cancel_by_api(client_user, freelancer):
    project = open_project(client=client_user)
    proposal = submit_proposal(project=project, freelancer=freelancer)
    client_api, freelancer_api = api_for(client_user), api_for(freelancer)

    naive = client_api.post(
        "/api/v1/interviews/", {"proposal": proposal.pk, "slots": ["2030-01-01T10:00:00"]}, format="json"
    )
    assert naive.status_code == 400 and "offset" in str(naive.json()["slots"])
    created = client_api.post(
        "/api/v1/interviews/",
        {"proposal": proposal.pk, "slots": slots(48, 72), "duration_minutes": 45, "note": "A short call."},
        format="json",
    )
    assert created.status_code == 201, created.json()
    interview = created.json()
    assert interview["status"] == "proposed" and interview["meeting_url"] is None
    assert len(interview["slots"]) == 2 and interview["awaiting_you"] is False

    outsider = api_for(new_freelancer())
    assert outsider.get(f"/api/v1/interviews/{interview['id']}/").status_code == 404
    assert outsider.post(f"/api/v1/interviews/{interview['id']}/cancel/", {}, format="json").status_code == 404

    seen = freelancer_api.get(f"/api/v1/interviews/{interview['id']}/").json()
    assert seen["awaiting_you"] is True
    assert (
        client_api.post(
            f"/api/v1/interviews/{interview['id']}/pick/", {"slot": seen["slots"][0]["id"]}, format="json"
        ).status_code
        == 400
    )  # who offered the times does not pick
    unknown = freelancer_api.post(f"/api/v1/interviews/{interview['id']}/pick/", {"slot": 999_999}, format="json")
    assert unknown.status_code == 400 and "slot" in unknown.json()
    picked = freelancer_api.post(
        f"/api/v1/interviews/{interview['id']}/pick/", {"slot": seen["slots"][1]["id"]}, format="json"
    )
    assert picked.status_code == 200, picked.json()
    assert picked.json()["status"] == "scheduled"
    assert picked.json()["starts_at"] is not None and picked.json()["meeting_url"].startswith("http")
    assert (
        freelancer_api.post(
            f"/api/v1/interviews/{interview['id']}/pick/", {"slot": seen["slots"][0]["id"]}, format="json"
        ).status_code
        == 409
    )

    moved = freelancer_api.post(
        f"/api/v1/interviews/{interview['id']}/offer-times/", {"slots": slots(96)}, format="json"
    )
    assert moved.status_code == 200 and moved.json()["status"] == "proposed"
    assert [slot["id"] for slot in moved.json()["slots"]] != [slot["id"] for slot in seen["slots"]]

    cancelled = client_api.post(f"/api/v1/interviews/{interview['id']}/cancel/", {"reason": "We hired."}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["meeting_url"] is None
    assert Interview.objects.get().cancel_reason == "We hired."
    assert client_api.post(f"/api/v1/interviews/{interview['id']}/cancel/", {}, format="json").status_code == 409
    assert [item["id"] for item in freelancer_api.get("/api/v1/interviews/").json()["results"]] == [interview["id"]]


def test_only_a_party_can_set_up_an_interview(client_user, freelancer):
    proposal = submit_proposal(project=open_project(client=client_user), freelancer=freelancer)
    response = api_for(new_client()).post(
        "/api/v1/interviews/", {"proposal": proposal.pk, "slots": slots(48)}, format="json"
    )
    assert response.status_code == 400 and "proposal" in response.json()
    assert not Interview.objects.exists()


# --- Documentation ---------------------------------------------------------------------------


def test_schema_lists_the_market_paths(client):
    schema = client.get("/api/v1/schema/").content.decode()
    for path in (
        "/api/v1/projects/",
        "/api/v1/projects/{id}/publish/",
        "/api/v1/projects/{id}/close/",
        "/api/v1/projects/{project_pk}/proposals/",
        "/api/v1/proposals/{id}/hire/",
        "/api/v1/proposals/{id}/withdraw/",
        "/api/v1/invitations/{id}/accept/",
        "/api/v1/interviews/{id}/pick/",
        "/api/v1/interviews/{id}/offer-times/",
    ):
        assert f"{path}:" in schema, path


# --- Files -----------------------------------------------------------------------------------


def test_confidential_files_download_only_with_the_brief_and_each_download_is_logged(client_user, freelancer):
    project = ProjectFactory(client=client_user, published=True, confidential=True)
    attachment = ProjectAttachment.build(image_upload("wireframe.png"), project=project)
    attachment.save()
    path = f"/api/v1/projects/{project.pk}/attachments/{attachment.pk}/"

    assert api_for(freelancer).get(path).status_code == 404
    assert api_for().get(path).status_code == 404
    NdaAcceptance.objects.create(project=project, freelancer=freelancer, nda_text=project.nda_text)
    detail = api_for(freelancer).get(f"/api/v1/projects/{project.pk}/").json()
    assert [item["download_url"] for item in detail["attachments"]] == [path]

    response = api_for(freelancer).get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png" and "attachment" in response["Content-Disposition"]
    assert ConfidentialAccess.objects.filter(project=project, user=freelancer, action="download").count() == 1


def test_proposal_files_are_for_the_two_parties_only(client_user, freelancer):
    proposal = submit_proposal(project=open_project(client=client_user), freelancer=freelancer)
    attachment = ProposalAttachment.build(image_upload("portfolio.png"), proposal=proposal)
    attachment.save()
    path = f"/api/v1/proposals/{proposal.pk}/attachments/{attachment.pk}/"

    assert api_for(client_user).get(path).status_code == 200
    assert api_for(freelancer).get(path).status_code == 200
    assert api_for(new_freelancer()).get(path).status_code == 404


PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf(name: str = "brief.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def test_a_client_attaches_files_to_a_draft_and_removes_one_by_api(client_user):
    # given a draft project
    project = draft_project(client=client_user)
    api = api_for(client_user)
    path = f"/api/v1/projects/{project.pk}/attachments/"

    # when the client uploads two files in one multipart request
    response = api.post(path, {"files": [pdf("brief.pdf"), image_upload("wireframe.png")]}, format="multipart")

    # then both are listed on the project with their type read from their bytes, and download as sent
    assert response.status_code == 200, response.json()
    listed = {item["name"]: item for item in response.json()["attachments"]}
    assert set(listed) == {"brief.pdf", "wireframe.png"}
    brief = api.get(listed["brief.pdf"]["download_url"])
    assert b"".join(brief.streaming_content) == PDF_BYTES

    # when they remove one
    removed = api.delete(listed["brief.pdf"]["download_url"])

    # then only the other is left
    assert removed.status_code == 204
    assert [a.original_name for a in project.attachments.all()] == ["wireframe.png"]


def test_bad_files_on_a_project_are_refused_and_nothing_is_attached(client_user, freelancer):
    project = draft_project(client=client_user)
    api = api_for(client_user)
    path = f"/api/v1/projects/{project.pk}/attachments/"
    page = SimpleUploadedFile("brief.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")

    folder = Path(settings.PRIVATE_MEDIA_ROOT) / "marketplace" / "projectattachment"
    on_disk = set(folder.iterdir()) if folder.exists() else set()
    disguised = api.post(path, {"files": [pdf("ok.pdf"), page]}, format="multipart")
    assert disguised.status_code == 400
    assert "HTML" in " ".join(disguised.json()["files"])
    # and the good file sent with it was not written either: nothing is left behind on disk
    assert (set(folder.iterdir()) if folder.exists() else set()) == on_disk
    too_many = api.post(path, {"files": [pdf(f"part{n}.pdf") for n in range(6)]}, format="multipart")
    assert too_many.status_code == 400 and "files" in too_many.json()
    nothing = api.post(path, {}, format="multipart")
    assert nothing.status_code == 400 and "files" in nothing.json()
    as_json = api.post(path, {"files": ["not a file"]}, format="json")
    assert as_json.status_code == 415
    assert not project.attachments.exists()

    # and nobody but the client changes a project's files; once published, nobody does
    assert api_for(freelancer).post(path, {"files": [pdf()]}, format="multipart").status_code == 404  # a draft
    project.status = Project.Status.OPEN
    project.save(update_fields=["status"])
    published = api.post(path, {"files": [pdf()]}, format="multipart")
    assert published.status_code == 409
    assert not project.attachments.exists()


def test_a_removed_file_leaves_the_disk_once_the_removal_commits(client_user, django_capture_on_commit_callbacks):
    project = draft_project(client=client_user)
    attachment = ProjectAttachment.build(pdf(), project=project)
    attachment.save()
    stored = Path(attachment.file.path)
    assert stored.exists()

    # a removal that rolls back keeps the row and its bytes
    with pytest.raises(RuntimeError), transaction.atomic():
        ProjectAttachment.objects.filter(pk=attachment.pk).delete()
        raise RuntimeError("the request failed after the delete")
    assert stored.exists() and ProjectAttachment.objects.filter(pk=attachment.pk).exists()

    # a committed removal takes the bytes with it
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(client_user).delete(f"/api/v1/projects/{project.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 204
    assert not stored.exists()


def test_someone_else_cannot_remove_a_published_projects_file(client_user, freelancer):
    project = open_project(client=client_user)
    attachment = ProjectAttachment.build(pdf(), project=project)
    attachment.save()
    path = f"/api/v1/projects/{project.pk}/attachments/{attachment.pk}/"
    assert api_for(freelancer).delete(path).status_code == 404
    assert api_for(client_user).delete(path).status_code == 409  # published terms stay put
    assert project.attachments.count() == 1


def test_the_author_attaches_and_removes_proposal_files_by_api(client_user, freelancer):
    # given a sent proposal
    proposal = submit_proposal(project=open_project(client=client_user), freelancer=freelancer)
    path = f"/api/v1/proposals/{proposal.pk}/attachments/"

    # when its freelancer attaches a portfolio sample
    response = api_for(freelancer).post(path, {"files": [pdf("case-study.pdf")]}, format="multipart")

    # then the client sees it on the proposal and can download it
    assert response.status_code == 200, response.json()
    seen = api_for(client_user).get(f"/api/v1/proposals/{proposal.pk}/").json()
    [item] = seen["attachments"]
    assert item["name"] == "case-study.pdf"
    assert b"".join(api_for(client_user).get(item["download_url"]).streaming_content) == PDF_BYTES

    # and the client cannot change the freelancer's files, a stranger does not even see them
    file_path = f"{path}{item['id']}/"
    assert api_for(client_user).post(path, {"files": [pdf()]}, format="multipart").status_code == 403
    assert api_for(client_user).delete(file_path).status_code == 403
    assert api_for(new_freelancer()).delete(file_path).status_code == 404
    assert proposal.attachments.count() == 1

    # when the freelancer removes it
    assert api_for(freelancer).delete(file_path).status_code == 204
    assert not proposal.attachments.exists()

    # and after withdrawing, the files no longer change
    api_for(freelancer).post(f"/api/v1/proposals/{proposal.pk}/withdraw/")
    late = api_for(freelancer).post(path, {"files": [pdf()]}, format="multipart")
    assert late.status_code == 400 and "withdrawn" in str(late.json()).lower()
    assert not proposal.attachments.exists()


def test_project_list_costs_the_same_queries_for_2_or_10_clients(django_assert_max_num_queries):
    # given two open projects from two clients, the list's query count is measured
    for _ in range(2):
        open_project(client=new_client())
    api = api_for()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert api.get("/api/v1/projects/").status_code == 200
    # when eight more clients post a project each
    for _ in range(8):
        open_project(client=new_client())
    # then listing all ten costs no more queries than listing two
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = api.get("/api/v1/projects/")
    assert response.json()["count"] == 10
    assert all(item["client_trust"]["projects_posted"] == 1 for item in response.json()["results"])
