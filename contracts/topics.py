"""Contract conversations link back to their contract."""

from __future__ import annotations

from messaging.topics import register_topic


def _resolve(topic_id: int):
    from contracts.models import Contract

    contract = Contract.objects.filter(pk=topic_id).only("pk", "title").first()
    return (f"Contract: {contract.title}", contract.get_absolute_url()) if contract else None


register_topic("contract", _resolve)
