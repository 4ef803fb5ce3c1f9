import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def release_stuck_proposals(apps, schema_editor):
    """A proposal hired again after its offer ended was left "offered" and linked to the dead offer,
    so nobody could act on it: such a proposal goes back to the shortlist, as any ended offer does."""
    Offer = apps.get_model("contracts", "Offer")
    Proposal = apps.get_model("marketplace", "Proposal")
    ProposalEvent = apps.get_model("marketplace", "ProposalEvent")
    live = Offer.objects.filter(status__in=["offered", "accepted"]).values("proposal_id")
    stuck = list(Proposal.objects.filter(status="offered").exclude(pk__in=live).values_list("pk", flat=True))
    for pk in stuck:
        if Proposal.objects.filter(pk=pk, status="offered").update(status="shortlisted") == 1:
            ProposalEvent.objects.create(
                proposal_id=pk,
                from_status="offered",
                to_status="shortlisted",
                note="Its offer had already ended; back on the shortlist to hire again",
            )


class Migration(migrations.Migration):

    dependencies = [
        ("contracts", "0005_status_events_and_verbs"),
        ("marketplace", "0006_project_search_vector"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="offer",
            name="proposal",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="offers",
                to="marketplace.proposal",
            ),
        ),
        migrations.AddConstraint(
            model_name="offer",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["offered", "accepted"])),
                fields=("proposal",),
                name="one_live_offer_per_proposal",
            ),
        ),
        migrations.RunPython(release_stuck_proposals, migrations.RunPython.noop),
    ]
