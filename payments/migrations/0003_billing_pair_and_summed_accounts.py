"""A lock row per client and freelancer for the fee tiers; the gateway's and the platform fees'
stored balances go: from now on their balances are the sum of their entries, which the stored rows
equalled (ledger_problems checked it), so nothing is lost by dropping them."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


SUMMED_PREFIXES = ("external:", "platform:")


def drop_summed_balances(apps, schema_editor):
    AccountBalance = apps.get_model("payments", "AccountBalance")
    for prefix in SUMMED_PREFIXES:
        AccountBalance.objects.filter(account__startswith=prefix).delete()


def restore_summed_balances(apps, schema_editor):
    AccountBalance = apps.get_model("payments", "AccountBalance")
    LedgerEntry = apps.get_model("payments", "LedgerEntry")
    for prefix in SUMMED_PREFIXES:
        totals = (
            LedgerEntry.objects.filter(account__startswith=prefix)
            .values("account")
            .annotate(total=models.Sum("amount_cents"))
        )
        for row in totals:
            AccountBalance.objects.update_or_create(account=row["account"], defaults={"balance_cents": row["total"]})


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0002_append_only_ledger'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='BillingPair',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('freelancer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('client', 'freelancer'), name='one_billing_pair')],
            },
        ),
        migrations.RunPython(drop_summed_balances, restore_summed_balances),
    ]
