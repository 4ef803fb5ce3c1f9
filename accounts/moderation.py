"""The moderation area's audit log: every moderator action and every private page a moderator
reads is one ModerationAction row, written in the transaction of what it records. Any app calls
audit(); staff read the log at /moderation/log/; nobody edits it."""

from __future__ import annotations

from accounts.models import ModerationAction


def audit(*, actor, verb: str, target: str, label: str = "", reason: str = "") -> ModerationAction:
    """Record one moderator action. `target` names the object ("dispute:4"), `label` is what a
    reader of the log recognises it by, `reason` why (the text the person concerned was given)."""
    return ModerationAction.objects.create(
        actor=actor, verb=ModerationAction.Verb(verb), target=target[:60], target_label=label[:200], reason=reason
    )


def moderation_log(*, target: str = ""):
    actions = ModerationAction.objects.select_related("actor")
    return actions.filter(target=target) if target else actions
