"""manage.py reconcile_payments: compare our books with the processor's now, print each
difference, and exit 1 if there is any (0 on a clean run)."""

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import pluralize

from payments.reconcile import reconcile


class Command(BaseCommand):
    help = "Compare charges, refunds and transfers in our books with the payment processor's."

    def handle(self, *args, **options):
        run = reconcile()
        for item in run.items.all():
            self.stdout.write(f"{item.group}: {item.detail}")
        if run.error:
            raise CommandError(run.error)
        summary = (
            f"{run.groups_checked} groups and payout accounts checked, "
            f"{run.differences} difference{pluralize(run.differences)}."
        )
        if run.differences:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
