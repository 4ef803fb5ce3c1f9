"""One conversation per relationship (see messaging's `Conversation`): a contract continues the
conversation of the proposal it was hired from, or of the contract it follows on from.

Before, accepting an offer started a second, empty conversation about the contract. Here each
contract's conversation is merged into the one it continues: its messages move over (the thread
reads in time order, as messages are ordered by when they were sent), its people join, its
topics are re-pointed, the notifications that linked to it link to the merged one, and the
emptied conversation is removed. A contract with no conversation of its own is linked to the one
it continues. Contracts go oldest first, so a follow-on finds its test already merged. Safe to
run twice: a contract already in the conversation it continues is left alone.
"""

from django.db import migrations
from django.urls import reverse


def _chain_titles(Contract, contract) -> str:
    titles, link_id = [contract.title], contract.follow_on_of_id
    while link_id is not None:
        link = Contract.objects.only("title", "follow_on_of_id").get(pk=link_id)
        titles.insert(0, link.title)
        link_id = link.follow_on_of_id
    return " · ".join(dict.fromkeys(titles))[:200]


def _earliest(first, second):
    """The earlier of two read marks, never-read first: merging loses no unread message (at
    worst a few read ones show as new again)."""
    if first is None or second is None:
        return None
    return min(first, second)


def merge_duplicate_conversations(apps, schema_editor):
    Contract = apps.get_model("contracts", "Contract")
    Conversation = apps.get_model("messaging", "Conversation")
    ConversationTopic = apps.get_model("messaging", "ConversationTopic")
    Message = apps.get_model("messaging", "Message")
    Participant = apps.get_model("messaging", "Participant")
    Notification = apps.get_model("notifications", "Notification")

    def conversation_id_of(topic_type, topic_id):
        return (
            ConversationTopic.objects.filter(topic_type=topic_type, topic_id=topic_id)
            .values_list("conversation_id", flat=True)
            .first()
        )

    contracts = Contract.objects.select_related("offer").order_by("started_at", "pk")
    for contract in contracts.iterator():
        if contract.follow_on_of_id:
            continues = ("contract", contract.follow_on_of_id)
        elif contract.offer.proposal_id:
            continues = ("proposal", contract.offer.proposal_id)
        else:
            continue
        target_id = conversation_id_of(*continues)
        if target_id is None:
            continue  # nothing to continue: the contract's own conversation, if any, stays its
        own_id = conversation_id_of("contract", contract.pk)
        if own_id == target_id:
            continue  # merged already
        if own_id is None:
            ConversationTopic.objects.create(conversation_id=target_id, topic_type="contract", topic_id=contract.pk)
        else:
            Message.objects.filter(conversation_id=own_id).update(conversation_id=target_id)
            kept = {p.user_id: p for p in Participant.objects.filter(conversation_id=target_id)}
            for moving in Participant.objects.filter(conversation_id=own_id):
                staying = kept.get(moving.user_id)
                if staying is None:
                    Participant.objects.filter(pk=moving.pk).update(conversation_id=target_id)
                else:
                    Participant.objects.filter(pk=staying.pk).update(
                        last_read_at=_earliest(staying.last_read_at, moving.last_read_at)
                    )
            ConversationTopic.objects.filter(conversation_id=own_id).update(conversation_id=target_id)
            Notification.objects.filter(url=reverse("conversation_detail", args=[own_id])).update(
                url=reverse("conversation_detail", args=[target_id])
            )
            Conversation.objects.filter(pk=own_id).delete()
        Conversation.objects.filter(pk=target_id).update(title=_chain_titles(Contract, contract))


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0009_contract_end_reason_and_note"),
        ("messaging", "0003_conversation_topics"),
        ("notifications", "0002_email_wanted"),
    ]

    operations = [
        migrations.RunPython(merge_duplicate_conversations, migrations.RunPython.noop),
    ]
