"""A relationship has one conversation: the chat before the hire, the contract hired from it and
any follow-on contract are one thread, on the contract page, in the inbox and in the API."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract
from contracts.services import contract_end, milestone_approve, milestone_fund, offer_accept
from marketplace.topics import PROPOSAL_TOPIC
from messaging.models import Conversation, ConversationTopic, Message, Participant
from messaging.selectors import conversation_unread_total, topic_conversation
from messaging.services import message_send
from notifications.models import Notification
from tests.contracts.factories import hire_offer, milestone_of
from tests.contracts.test_offers import follow_on
from tests.helpers import api_for, browser_for, text

pytestmark = pytest.mark.django_db

merge_migration = importlib.import_module("contracts.migrations.0010_one_conversation_per_relationship")


def talk_then_hire(**kwargs) -> Contract:
    """The two talk on the proposal, the client hires, the freelancer accepts."""
    offer = hire_offer(**kwargs)
    before = topic_conversation(topic_type=PROPOSAL_TOPIC, topic_id=offer.proposal_id, user=offer.client)
    message_send(conversation=before, sender=offer.client, body="Can you start with the booking form?")
    message_send(conversation=before, sender=offer.freelancer, body="Yes, and deposits through Stripe.")
    return offer_accept(offer=offer, by=offer.freelancer)


def the_pairs_conversations(contract: Contract):
    return Conversation.objects.filter(participants__user=contract.client).filter(
        participants__user=contract.freelancer
    )


def test_the_contract_page_shows_what_was_said_before_the_hire():
    # given a hire after the two agreed on the proposal's conversation
    contract = talk_then_hire()
    # when either of them opens the contract
    for person in (contract.client, contract.freelancer):
        page = text(browser_for(person).get(contract.get_absolute_url()))
        # then the messages before the hire are there, not an empty thread
        assert "Can you start with the booking form?" in page
        assert "Yes, and deposits through Stripe." in page
        assert "No messages yet" not in page
    # and a message on the contract lands in the same thread
    conversation = topic_conversation(topic_type="contract", topic_id=contract.pk, user=contract.client)
    message_send(conversation=conversation, sender=contract.client, body="Funded the first milestone.")
    proposal_thread = topic_conversation(
        topic_type=PROPOSAL_TOPIC, topic_id=contract.offer.proposal_id, user=contract.client
    )
    assert proposal_thread.pk == conversation.pk
    assert list(conversation.messages.values_list("body", flat=True)) == [
        "Can you start with the booking form?",
        "Yes, and deposits through Stripe.",
        "Funded the first milestone.",
    ]


def test_the_inbox_lists_one_thread_per_relationship_labelled_by_the_project():
    contract = talk_then_hire()
    project_title = contract.offer.proposal.project.title
    # then the pair has one conversation, named after the project
    (conversation,) = the_pairs_conversations(contract)
    assert conversation.title == project_title
    inbox = browser_for(contract.freelancer).get(reverse("conversation_list"))
    assert text(inbox).count(project_title) == 1
    assert inbox.content.decode().count(reverse("conversation_detail", args=[conversation.pk])) == 1
    # and its page links to both the proposal and the contract
    page = text(browser_for(contract.client).get(conversation.get_absolute_url()))
    assert f"Proposal: {project_title}" in page and f"Contract: {contract.title}" in page


def test_the_api_lists_the_same_one_conversation_with_all_its_topics():
    contract = talk_then_hire()
    (conversation,) = the_pairs_conversations(contract)
    for person in (contract.client, contract.freelancer):
        listed = api_for(person).get("/api/v1/conversations/").json()["results"]
        assert [c["id"] for c in listed] == [conversation.pk]
        assert listed[0]["title"] == conversation.title
        assert listed[0]["topics"] == [
            {"type": "proposal", "id": contract.offer.proposal_id},
            {"type": "contract", "id": contract.pk},
        ]


def test_a_follow_on_contract_continues_the_same_conversation():
    # given a paid test hired after talking, then approved and ended
    test = talk_then_hire(amounts=(300_00,), test_project=True)
    milestone = milestone_fund(milestone=milestone_of(test), by=test.client)
    milestone_approve(milestone=milestone, by=test.client)

    test = contract_end(contract=test, by=test.client)
    # when the freelancer accepts the follow-on offer
    more = offer_accept(offer=follow_on(test), by=test.freelancer)
    # then the follow-on is in the same conversation, titled by the work in order
    (conversation,) = the_pairs_conversations(more)
    found = topic_conversation(topic_type="contract", topic_id=more.pk, user=more.freelancer)
    assert found.pk == conversation.pk
    assert conversation.title == f"{test.title} · Three months of performance work"
    assert list(conversation.topics.values_list("topic_type", "topic_id")) == [
        ("proposal", test.offer.proposal_id),
        ("contract", test.pk),
        ("contract", more.pk),
    ]
    page = text(browser_for(more.client).get(more.get_absolute_url()))
    assert "Can you start with the booking form?" in page


def split_the_old_way(contract: Contract) -> Conversation:
    """What accepting an offer did before: a second conversation about the contract, which the two
    then wrote in (the notification of it pointing there)."""
    ConversationTopic.objects.filter(topic_type="contract", topic_id=contract.pk).delete()
    duplicate = Conversation.objects.create(
        topic_type="contract", topic_id=contract.pk, title=f"Contract: {contract.title}"
    )
    duplicate.topics.create(topic_type="contract", topic_id=contract.pk)
    later = timezone.now() + timedelta(minutes=5)
    Participant.objects.create(conversation=duplicate, user=contract.client, last_read_at=later)
    Participant.objects.create(conversation=duplicate, user=contract.freelancer, last_read_at=None)
    Message.objects.create(conversation=duplicate, sender=contract.client, body="Funded.", created_at=later)
    Notification.objects.create(
        recipient=contract.freelancer, kind="message.new", title="New message", url=duplicate.get_absolute_url()
    )
    return duplicate


def test_the_migration_merges_a_contracts_duplicate_conversation_into_the_proposals():
    # given a pair whose contract started a second conversation, as before
    contract = talk_then_hire()
    proposal_thread = Conversation.objects.get(topic_type="proposal", topic_id=contract.offer.proposal_id)
    duplicate = split_the_old_way(contract)
    assert the_pairs_conversations(contract).count() == 2
    # when the data migration runs, twice
    for _ in range(2):
        merge_migration.merge_duplicate_conversations(django_apps, None)
    # then one conversation is left: the proposal's, with every message in time order
    (conversation,) = the_pairs_conversations(contract)
    assert conversation.pk == proposal_thread.pk
    assert not Conversation.objects.filter(pk=duplicate.pk).exists()
    assert list(conversation.messages.values_list("body", flat=True)) == [
        "Can you start with the booking form?",
        "Yes, and deposits through Stripe.",
        "Funded.",
    ]
    # and the contract, its page and the old notification lead to it
    assert topic_conversation(topic_type="contract", topic_id=contract.pk, user=contract.client).pk == conversation.pk
    assert conversation.title == contract.title
    assert Notification.objects.get(title="New message").url == conversation.get_absolute_url()
    # and the freelancer, who had not read the contract's thread, still has it unread
    freelancer = Participant.objects.get(conversation=conversation, user=contract.freelancer)
    assert freelancer.last_read_at is None
    assert conversation.participants.count() == 2


def test_the_migration_links_a_contract_without_a_conversation_of_its_own():
    contract = talk_then_hire()
    ConversationTopic.objects.filter(topic_type="contract", topic_id=contract.pk).delete()
    merge_migration.merge_duplicate_conversations(django_apps, None)
    found = topic_conversation(topic_type="contract", topic_id=contract.pk, user=contract.client)
    assert found is not None and found.topic_type == "proposal"


def receipt(person, contract, body: str) -> str:
    """What the person's contract page says under a message of theirs: Sent, or Read."""
    page = text(browser_for(person).get(contract.get_absolute_url()))
    return re.search(re.escape(body) + r".*?\b(Sent|Read)\b", page).group(1)


@pytest.mark.parametrize("page", ["contract", "proposal"])
def test_messages_read_on_the_contract_or_proposal_page_count_as_read(page):
    # given a contract whose freelancer wrote after the client last looked
    contract = talk_then_hire()
    conversation = topic_conversation(topic_type="contract", topic_id=contract.pk, user=contract.client)
    message_send(conversation=conversation, sender=contract.freelancer, body="The booking form is live.")
    assert conversation_unread_total(contract.client) == 2  # this and the answer before the hire
    assert Notification.objects.filter(recipient=contract.client, kind="message.new", read_at__isnull=True).exists()
    assert receipt(contract.freelancer, contract, "The booking form is live.") == "Sent"
    # when the client reads the thread on the contract page (or the proposal page it was hired from)
    url = (
        contract.get_absolute_url()
        if page == "contract"
        else reverse("proposal_detail", args=[contract.offer.proposal_id])
    )
    assert "The booking form is live." in text(browser_for(contract.client).get(url))
    # then nothing is unread, the notification is read, and the freelancer sees the message was seen
    assert conversation_unread_total(contract.client) == 0
    assert not Notification.objects.filter(recipient=contract.client, kind="message.new", read_at__isnull=True).exists()
    seen = Participant.objects.get(conversation=conversation, user=contract.client).last_read_at
    assert seen >= Message.objects.get(body="The booking form is live.").created_at
    assert receipt(contract.freelancer, contract, "The booking form is live.") == "Read"


def test_a_page_that_only_mentions_the_contract_does_not_mark_its_messages_read():
    contract = talk_then_hire()
    conversation = topic_conversation(topic_type="contract", topic_id=contract.pk, user=contract.client)
    message_send(conversation=conversation, sender=contract.freelancer, body="The booking form is live.")
    browser_for(contract.client).get(reverse("contract_list"))
    assert conversation_unread_total(contract.client) == 2  # this and the answer before the hire
