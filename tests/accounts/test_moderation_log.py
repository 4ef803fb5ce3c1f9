"""The audit log: moderator actions and private pages read by moderators are recorded, staff read
the log, nobody edits it (in the admin either), and a data fix in the admin is recorded too."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.urls import reverse

from accounts.models import ModerationAction
from accounts.services import user_suspend
from contracts.models import Milestone
from contracts.services import dispute_open
from messaging.services import conversation_for_topic, message_send
from tests.contracts.factories import milestone_in
from tests.factories import UserFactory
from tests.helpers import browser_for, text

pytestmark = pytest.mark.django_db


def test_reading_a_dispute_as_staff_is_recorded_and_shown_in_the_log(moderator):
    milestone = milestone_in(Milestone.Status.SUBMITTED)
    dispute = dispute_open(
        milestone=milestone, by=milestone.contract.client, reason="quality", description="Broken.", asked_cents=0
    )
    staff = browser_for(moderator)
    assert staff.get(reverse("dispute_moderate", args=[dispute.pk])).status_code == 200
    (read,) = ModerationAction.objects.all()
    assert (read.actor, read.verb, read.target) == (moderator, "viewed", f"dispute:{dispute.pk}")
    member = UserFactory()
    user_suspend(user=member, by=moderator, reason="Spam proposals.")
    shown = text(staff.get(reverse("moderation_log")))
    assert shown.index("Suspended a member") < shown.index("Read a private page")
    assert "Spam proposals." in shown and member.email in shown
    # the member's page shows their history
    assert "Suspended a member by" in text(staff.get(reverse("moderation_member", args=[member.pk])))


def test_only_moderators_read_the_log_and_no_one_edits_it(moderator):
    user_suspend(user=UserFactory(), by=moderator, reason="Spam.")
    assert browser_for(UserFactory()).get(reverse("moderation_log")).status_code == 404
    entry = ModerationAction.objects.get()
    superuser = UserFactory(is_staff=True, is_superuser=True)
    admin = browser_for(superuser)
    change = reverse("admin:accounts_moderationaction_change", args=[entry.pk])
    delete = reverse("admin:accounts_moderationaction_delete", args=[entry.pk])
    admin.post(change, {"reason": "Nothing happened."})
    admin.post(delete, {"post": "yes"})
    entry.refresh_from_db()
    assert entry.reason == "Spam."


def test_a_data_fix_in_the_admin_joins_the_audit_log():
    # given a superuser who fixes a member's name in the admin (the admin records it with log_actions)
    superuser = UserFactory(is_staff=True, is_superuser=True)
    member = UserFactory(full_name="Old Name")
    LogEntry.objects.log_actions(
        user_id=superuser.pk, queryset=[member], action_flag=CHANGE, change_message=[{"changed": {"fields": ["Name"]}}]
    )
    # then the audit log has it: who, what and the admin's own words
    (entry,) = ModerationAction.objects.filter(verb="admin_change")
    assert (entry.actor, entry.target) == (superuser, f"accounts.user:{member.pk}")
    assert entry.target_label == f"Changed {member}" and entry.reason == "Changed Name."


def test_an_admin_action_on_many_objects_joins_the_audit_log_once_per_object():
    superuser = UserFactory(is_staff=True, is_superuser=True)
    members = [UserFactory(), UserFactory()]
    LogEntry.objects.log_actions(user_id=superuser.pk, queryset=members, action_flag=DELETION)
    targets = sorted(ModerationAction.objects.filter(verb="admin_change").values_list("target", flat=True))
    assert targets == sorted(f"accounts.user:{member.pk}" for member in members)


@pytest.mark.parametrize("kind", ["contract", "offer", "project", "conversation"])
def test_a_moderator_reads_any_private_page_and_each_reading_is_audited(moderator, kind):
    milestone = milestone_in(Milestone.Status.FUNDED)
    contract = milestone.contract
    conversation = conversation_for_topic(
        topic_type="contract",
        topic_id=contract.pk,
        title=contract.title,
        participants=[contract.client, contract.freelancer],
    )
    message_send(conversation=conversation, sender=contract.freelancer, body="Starting on the export today.")
    pk = {
        "contract": contract.pk,
        "offer": contract.offer_id,
        "project": contract.offer.proposal.project_id,
        "conversation": conversation.pk,
    }[kind]
    url = reverse(f"moderation_view_{kind}", args=[pk])
    page = browser_for(moderator).get(url)
    assert page.status_code == 200
    assert "Your reading of this page is recorded in the audit log." in text(page)
    if kind == "conversation":
        assert "Starting on the export today." in text(page)
    (entry,) = ModerationAction.objects.filter(verb="viewed")
    assert (entry.actor, entry.target) == (moderator, f"{kind}:{pk}")
    # members and staff without the permission get a 404, and unknown kinds or numbers too
    assert browser_for(contract.client).get(url).status_code == 404
    assert browser_for(moderator).get(url.replace(f"/{kind}/", "/invoice/")).status_code == 404
    assert browser_for(moderator).get(reverse(f"moderation_view_{kind}", args=[10**9])).status_code == 404
