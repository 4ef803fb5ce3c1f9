"""The Moderators group: staff in it use the moderation area and read, in the Django admin, what
they moderate. Reading only: every change goes through the moderation area's services, which
write the audit log, never through an admin form."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

MODERATORS = "Moderators"

# (app label, codename): the moderation area itself, and a view permission for each thing moderated.
PERMISSIONS = (
    ("accounts", "moderate"),
    ("accounts", "view_user"),
    ("accounts", "view_report"),
    ("marketplace", "view_project"),
    ("messaging", "view_conversation"),
    ("messaging", "view_message"),
    ("contracts", "view_dispute"),
    ("reviews", "view_review"),
)


def moderators_group(using: str = "default") -> Group:
    """The group with exactly its permissions; safe to call any number of times."""
    group, _ = Group.objects.using(using).get_or_create(name=MODERATORS)
    wanted = Q()
    for app_label, codename in PERMISSIONS:
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    group.permissions.set(Permission.objects.using(using).filter(wanted))
    return group


def ensure_moderators_group(sender, using: str = "default", **kwargs) -> None:
    """After every migrate, once the last app with models has had its permissions created."""
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender.label == with_models[-1].label:
        moderators_group(using=using)
