"""Demo data: three logins and a handful of realistic profiles. Safe to run any number of times.

`make run` calls it once with `--migrate`: one process applies any pending migrations, seeds, and
prints the logins. When the data is already there it sees so in a few queries and writes nothing,
so a second start of the app is quick.
"""

from __future__ import annotations

import io
import time
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.mfa.utils import decrypt
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts import services
from accounts.models import Skill, SkillCategory, User
from config.management.demo_data import CLIENTS, FREELANCERS, PROJECTS
from config.moderators import MODERATORS, moderators_group
from marketplace import services as market
from marketplace.models import Project
from messaging.services import conversation_for_topic, message_send
from payments.cards import card_setup_start
from payments.gateways import get_gateway
from payments.models import BillingProfile, PayoutAccount
from payments.payout_accounts import payout_account_start

DEMO_PASSWORD = "proofwork-demo"
MODERATOR_EMAIL = "moderator@example.com"
_LOGIN_ROWS = [
    *((spec["email"], f"{spec['full_name']}, hires") for spec in CLIENTS),
    *((spec["email"], f"{spec['full_name']}, works") for spec in FREELANCERS),
    (MODERATOR_EMAIL, "staff; two-factor secret below"),
]
_WIDTH = max(len(email) for email, _ in _LOGIN_ROWS)
LOGINS = f"  Demo logins (password: {DEMO_PASSWORD})\n" + "".join(
    f"    {email:<{_WIDTH}}  {who}\n" for email, who in _LOGIN_ROWS
)


def _demo_image(title: str, color: tuple[int, int, int]) -> SimpleUploadedFile:
    image = Image.new("RGB", (800, 450), color)
    ImageDraw.Draw(image).text((40, 200), title, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("demo.png", buffer.getvalue(), content_type="image/png")


def _pending_migrations() -> bool:
    # The same plan `migrate` would run, read without spawning it: an empty plan costs one query.
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _seeded() -> bool:
    """Every account has its role, the moderator can moderate with two factors, every project exists:
    what `_seed` would otherwise create or repair."""
    clients = [spec["email"] for spec in CLIENTS]
    freelancers = [spec["email"] for spec in FREELANCERS]
    titles = {(spec["client"], spec["data"]["title"]) for spec in PROJECTS}
    ready = (
        User.objects.filter(email__in=clients, is_client=True, emailaddress__verified=True).count() == len(clients)
        and User.objects.filter(email__in=freelancers, is_freelancer=True, emailaddress__verified=True).count()
        == len(freelancers)
        and User.objects.filter(
            email=MODERATOR_EMAIL,
            is_staff=True,
            emailaddress__verified=True,
            groups__name=MODERATORS,
            authenticator__type=Authenticator.Type.TOTP,
        ).exists()
    )
    ready = ready and PayoutAccount.objects.filter(user__email__in=freelancers).count() == len(freelancers)
    return ready and titles <= set(
        Project.objects.filter(title__in=[title for _, title in titles]).values_list("client__email", "title")
    )


def _user(email: str, **fields) -> tuple[User, bool]:
    user = User.objects.filter(email=email).first()
    created = user is None
    if created:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, **fields)
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user, created


class Command(BaseCommand):
    help = "Create the demo logins and realistic profiles (idempotent)."
    # The system checks import every URLconf, which the demo data does not need; the server runs them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--print-moderator-secret", action="store_true", help="Only print the moderator's two-factor details."
        )
        parser.add_argument(
            "--migrate", action="store_true", help="Apply pending migrations first (only when there are any)."
        )

    def handle(self, *args, print_moderator_secret: bool = False, migrate: bool = False, **options):
        if print_moderator_secret:
            self.stdout.write(self._moderator_secret_text())
            return
        if migrate and _pending_migrations():
            call_command("migrate", interactive=False, stdout=self.stdout, verbosity=options["verbosity"])
        if _seeded():
            created = 0
        else:
            with transaction.atomic():
                created = self._seed()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new accounts)."))
        self.stdout.write("\n" + LOGINS + "\n")
        self.stdout.write(self._moderator_secret_text())

    def _seed(self) -> int:
        created_count = 0
        for spec in CLIENTS:
            user, created = _user(spec["email"], full_name=spec["full_name"])
            created_count += created
            if created or not user.is_client:
                services.user_set_roles(user=user, is_client=True, is_freelancer=user.is_freelancer)
                user.refresh_from_db()
                services.client_profile_update(
                    user=user,
                    user_details={k: spec[k] for k in ("full_name", "country", "timezone")},
                    **spec["profile"],
                )
        for spec in FREELANCERS:
            user, created = _user(spec["email"], full_name=spec["full_name"])
            created_count += created
            if created or not user.is_freelancer:
                services.user_set_roles(user=user, is_client=user.is_client, is_freelancer=True)
                user.refresh_from_db()
                services.freelancer_profile_update(
                    user=user,
                    user_details={k: spec[k] for k in ("full_name", "country", "timezone")},
                    skills=list(Skill.objects.filter(name__in=spec["skills"])),
                    **spec["profile"],
                )
                for title, description, url, color in spec["portfolio"]:
                    services.portfolio_item_save(
                        user=user, title=title, description=description, url=url, image=_demo_image(title, color)
                    )
        self._seed_market()
        self._seed_payment_methods()
        moderator, created = _user(MODERATOR_EMAIL, full_name="Alex Moderator", is_staff=True)
        created_count += created
        # The Moderators group: the moderation area, and reading what it moderates in the admin.
        moderator.groups.add(moderators_group())
        if not Authenticator.objects.filter(user=moderator, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(moderator, generate_totp_secret())
            RecoveryCodes.activate(moderator)
        return created_count

    def _seed_market(self) -> None:
        today = timezone.localdate()
        for spec in PROJECTS:
            client = User.objects.get(email=spec["client"])
            if Project.objects.filter(client=client, title=spec["data"]["title"]).exists():
                continue
            data = dict(spec["data"])
            data["category"] = SkillCategory.objects.get(slug=data.pop("category"))
            data["apply_by"] = today + timedelta(days=data.pop("apply_in_days"))
            project = market.project_create(
                client=client,
                data=data,
                skills=list(Skill.objects.filter(name__in=spec["skills"])),
                questions=spec.get("questions", []),
            )
            if spec.get("publish", True):
                market.project_publish(project=project, by=client)
            for bid in spec.get("proposals", []):
                freelancer = User.objects.get(email=bid["freelancer"])
                project.refresh_from_db()
                if project.is_confidential:
                    market.project_nda_accept(project=project, freelancer=freelancer, ip_address="127.0.0.1")
                proposal = market.proposal_submit(
                    project=project,
                    freelancer=freelancer,
                    cover_letter=bid["cover_letter"],
                    bid_cents=sum(amount for _, amount, _ in bid["milestones"]),
                    duration_days=bid["duration_days"],
                    milestones=[
                        market.MilestoneTerms(title=title, amount_cents=amount, due_date=today + timedelta(days=days))
                        for title, amount, days in bid["milestones"]
                    ],
                    answers={q.pk: bid.get("answer", "Yes.") for q in project.questions.all()},
                )
                if bid.get("shortlist"):
                    market.proposal_shortlist(proposal=proposal, by=client)
                conversation = conversation_for_topic(
                    topic_type="proposal",
                    topic_id=proposal.pk,
                    title=f"Proposal: {project.title}",
                    participants=[client, freelancer],
                )
                for author, text in bid.get("messages", []):
                    message_send(
                        conversation=conversation,
                        sender=client if author == "client" else freelancer,
                        body=text,
                    )
                steps = bid.get("contract", [])
                if steps:
                    self._run_contract(proposal=proposal, client=client, freelancer=freelancer, steps=steps)
                if bid.get("interview"):
                    start = (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
                    market.interview_propose(
                        proposal=proposal,
                        by=client,
                        slots=[start, start + timedelta(hours=3)],
                        duration_minutes=30,
                        note="A short call to walk through the reminder code together.",
                    )

    def _seed_payment_methods(self) -> None:
        """In the sandbox, demo clients have a saved test card and demo freelancers a payout account,
        so funding and withdrawing can be tried at once (with Stripe, each person adds their own)."""
        if not get_gateway().is_sandbox:
            return
        for spec in CLIENTS:
            user = User.objects.get(email=spec["email"])
            if not BillingProfile.objects.filter(user=user).exclude(card_id="").exists():
                card_setup_start(user=user, return_url="", cancel_url="", card_number="4242424242424242")
        for spec in FREELANCERS:
            user = User.objects.get(email=spec["email"])
            if not PayoutAccount.objects.filter(user=user).exists():
                payout_account_start(
                    user=user,
                    return_url="",
                    refresh_url="",
                    details={
                        "holder": spec["full_name"],
                        "routing_number": "110000000",
                        "account_number": "000123456789",
                    },
                )

    def _run_contract(self, *, proposal, client, freelancer, steps) -> None:
        from contracts import services as deals
        from contracts.models import Offer

        market.proposal_hire(proposal=proposal, by=client)
        contract = deals.offer_accept(offer=Offer.objects.get(proposal=proposal), by=freelancer)
        milestone = contract.milestones.order_by("position").first()
        for step in steps:
            if not get_gateway().is_sandbox:
                break  # real payments are made by real people
            if step == "fund":
                deals.milestone_fund(milestone=milestone, by=client)
            elif step == "submit":
                deals.milestone_submit(
                    milestone=milestone,
                    by=freelancer,
                    message="Delivered: see the attached report and the pull request.",
                )
            elif step == "approve":
                deals.milestone_approve(milestone=milestone, by=client)
            elif step == "clear":
                self._clear_now(milestone)
            elif step == "end":
                contract = deals.contract_end(contract=contract, by=client)
            elif step == "review":
                self._review_both(contract, client=client, freelancer=freelancer)

    def _clear_now(self, milestone) -> None:
        """The demo's released money is available at once (not in 5 days), so a payout can be tried."""
        from payments.models import LedgerTransaction
        from payments.selectors import RELEASE_KINDS
        from payments.services import clear_release

        for release in LedgerTransaction.objects.filter(reference=milestone.ledger_reference, kind__in=RELEASE_KINDS):
            clear_release(release=release)

    def _review_both(self, contract, *, client, freelancer) -> None:
        from reviews.services import review_submit

        review_submit(
            contract=contract,
            by=freelancer,
            overall=5,
            aspects={"clarity": 5, "communication": 5, "payment": 5},
            comment="Clear brief with ten test codes to check against, and paid the same day.",
        )
        review_submit(
            contract=contract,
            by=client,
            overall=5,
            aspects={"quality": 5, "communication": 4, "timeliness": 5, "expertise": 5},
            comment="Found the bug in an hour and left tests behind. Redesign talks have started.",
        )

    def _moderator_secret_text(self) -> str:
        authenticator = Authenticator.objects.filter(user__email=MODERATOR_EMAIL, type=Authenticator.Type.TOTP).first()
        if authenticator is None:
            return "  The moderator has no authenticator yet: run `manage.py seed_demo`."
        secret = decrypt(authenticator.data["secret"])
        code = format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))
        codes = Authenticator.objects.filter(
            user__email=MODERATOR_EMAIL, type=Authenticator.Type.RECOVERY_CODES
        ).first()
        recovery = ", ".join(RecoveryCodes(codes).get_unused_codes()[:3]) if codes else "none"
        return (
            f"  Moderator two-factor secret (add it to any authenticator app): {secret}\n"
            f"  Code right now: {code} (changes every {mfa_settings.TOTP_PERIOD} s)\n"
            f"  Recovery codes (each works once): {recovery}"
        )
