"""Reports and hidden content: a member reports a project, a message or a member; a moderator hides
the project or message (its author reads why) and answers the reporter; a suspended client's open
projects are hidden until the suspension is lifted. Every step is in the audit log."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import ModerationAction, Report
from accounts.services import user_suspend, user_unsuspend
from messaging.models import MessageAttachment
from messaging.services import conversation_for_topic, message_send
from notifications.models import Notification
from tests.factories import UserFactory
from tests.helpers import api_for, browser_for, text
from tests.marketplace.factories import new_client, new_freelancer, open_project

pytestmark = pytest.mark.django_db


def test_a_reported_project_is_hidden_by_a_moderator_and_the_reporter_hears_the_outcome(moderator):
    project = open_project(title="Easy money: pay the deposit by wire")
    freelancer = new_freelancer()
    member = browser_for(freelancer)
    # a member reports it from the project page
    assert "Report this project" in text(member.get(reverse("project_detail", args=[project.pk])))
    url = f"{reverse('report')}?target=project:{project.pk}"
    assert "You are reporting: Easy money: pay the deposit by wire" in text(member.get(url))
    sent = member.post(
        reverse("report"), {"target": f"project:{project.pk}", "reason": "scam", "note": "Asks for a wire."}
    )
    assert sent.status_code == 302
    report = Report.objects.get()
    assert Notification.objects.filter(recipient=moderator, kind="staff.report").exists()
    # the moderator finds it in the queue and hides the project with a reason
    staff = browser_for(moderator)
    assert "Easy money" in text(staff.get(reverse("moderation_home")))
    page = reverse("moderation_report", args=[report.pk])
    refused = staff.post(page, {"action": "hide", "hide-reason": ""})
    assert refused.status_code == 400 and "Give the reason" in text(refused)
    staff.post(page, {"action": "hide", "hide-reason": "Asks for payment outside Proofwork."})
    project.refresh_from_db()
    assert project.hidden_at is not None
    # then nobody else finds or opens it, while its client reads why
    assert browser_for(new_freelancer()).get(reverse("project_detail", args=[project.pk])).status_code == 404
    assert "Easy money" not in text(browser_for(new_freelancer()).get(reverse("project_search")))
    shown = text(browser_for(project.client).get(reverse("project_detail", args=[project.pk])))
    assert "A moderator hid this project. Reason: Asks for payment outside Proofwork." in shown
    # and the reporter hears what was done
    staff.post(page, {"action": "actioned", "answer-outcome": "We hid the project."})
    report.refresh_from_db()
    assert (report.status, report.resolved_by) == ("actioned", moderator)
    note = Notification.objects.get(recipient=freelancer, kind="moderation.report")
    assert note.body == "We hid the project."
    assert list(ModerationAction.objects.order_by("pk").values_list("verb", flat=True)) == ["hid", "resolved_report"]


def test_a_hidden_message_loses_its_words_and_files_and_its_sender_reads_why(moderator):
    client, freelancer = new_client(), new_freelancer()
    conversation = conversation_for_topic(
        topic_type="proposal", topic_id=10**9, title="About the job", participants=[client, freelancer]
    )
    notes = SimpleUploadedFile("bank.txt", b"IBAN: NL00 0000\n", content_type="text/plain")
    message = message_send(conversation=conversation, sender=client, body="Pay me on my bank directly.", files=[notes])
    attachment = MessageAttachment.objects.get()
    browser = browser_for(freelancer)
    thread = reverse("conversation_detail", args=[conversation.pk])
    assert "Report" in text(browser.get(thread))
    browser.post(reverse("report"), {"target": f"message:{message.pk}", "reason": "off_platform"})
    report = Report.objects.get()
    browser_for(moderator).post(
        reverse("moderation_report", args=[report.pk]),
        {"action": "hide", "hide-reason": "Payments go through Proofwork."},
    )
    shown = text(browser.get(thread))
    assert "A moderator hid this message." in shown and "Pay me on my bank" not in shown and "bank.txt" not in shown
    assert browser.get(reverse("message_attachment", args=[attachment.pk])).status_code == 404
    mine = text(browser_for(client).get(thread))
    assert "A moderator hid your message. Reason: Payments go through Proofwork." in mine
    api = api_for(freelancer).get(f"/api/v1/conversations/{conversation.pk}/messages/").json()
    assert [m["body"] for m in api["results"]] == ["A moderator hid this message."]
    assert api["results"][0]["attachments"] == []


def test_what_cannot_be_reported_is_refused_and_changes_nothing():
    project = open_project()
    client = browser_for(project.client)
    own = client.post(reverse("report"), {"target": f"project:{project.pk}", "reason": "spam"})
    assert own.status_code == 400 and "You cannot report your own" in text(own)
    stranger = browser_for(new_freelancer())
    assert stranger.get(f"{reverse('report')}?target=message:1").status_code == 404
    assert stranger.get(f"{reverse('report')}?target=project:abc").status_code == 404
    assert stranger.get(f"{reverse('report')}?target=invoice:1").status_code == 404
    bad = stranger.post(reverse("report"), {"target": f"project:{project.pk}", "reason": "boredom"})
    assert bad.status_code == 400 and "Choose a reason from the list." in text(bad)
    stranger.post(reverse("report"), {"target": f"project:{project.pk}", "reason": "spam"})
    again = stranger.post(reverse("report"), {"target": f"project:{project.pk}", "reason": "spam"})
    assert again.status_code == 400 and "You already reported this" in text(again)
    assert Report.objects.count() == 1


def test_reports_over_the_api():
    project = open_project()
    freelancer = new_freelancer()
    api = api_for(freelancer)
    made = api.post("/api/v1/reports/", {"target": f"project:{project.pk}", "reason": "misleading"}, format="json")
    assert made.status_code == 201 and made.json()["status"] == "open"
    assert [r["id"] for r in api.get("/api/v1/reports/").json()["results"]] == [made.json()["id"]]
    for body in (
        {"target": "project:999999", "reason": "spam"},
        {"target": "invoice:1", "reason": "spam"},
        {"target": f"project:{project.pk}", "reason": "meh"},
        {"target": f"project:{project.pk}", "reason": "spam", "status": "dismissed"},
    ):
        assert api.post("/api/v1/reports/", body, format="json").status_code == 400
    assert api_for(UserFactory()).get(f"/api/v1/reports/{made.json()['id']}/").status_code == 404


def test_a_suspended_clients_open_projects_are_hidden_until_the_suspension_is_lifted(moderator):
    project = open_project()
    other = browser_for(new_freelancer())
    user_suspend(user=project.client, by=moderator, reason="Chargebacks under review.")
    assert other.get(reverse("project_detail", args=[project.pk])).status_code == 404
    shown = text(browser_for(project.client).get(reverse("project_detail", args=[project.pk])))
    assert "Hidden while the client's account is suspended." in shown
    user_unsuspend(user=project.client, by=moderator, reason="Resolved with the bank.")
    assert other.get(reverse("project_detail", args=[project.pk])).status_code == 200
