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
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts import services
from accounts.models import Skill, SkillCategory, User
from marketplace import services as market
from marketplace.models import Project
from messaging.services import conversation_for_topic, message_send

DEMO_PASSWORD = "proofwork-demo"
MODERATOR_EMAIL = "moderator@example.com"
LOGINS = f"""  Demo logins (password: {DEMO_PASSWORD})
    client@example.com       hires
    freelancer@example.com   works
    {MODERATOR_EMAIL}    staff; two-factor secret below
"""

CLIENTS = [
    {
        "email": "client@example.com",
        "full_name": "Maya Okafor",
        "country": "GB",
        "timezone": "Europe/London",
        "profile": {
            "company_name": "Lumen Health",
            "website": "https://lumen-health.example.com",
            "team_size": "11-50",
            "about_team": (
                "We are a 20-person team of clinicians and engineers building appointment tools for "
                "independent physiotherapy clinics. You would work with Maya (product) and Tom (lead engineer)."
            ),
            "vision": (
                "Every small clinic should have booking, reminders and payments as good as the big chains, "
                "without a sales call. We want 1,000 clinics on Lumen by the end of next year."
            ),
            "values": (
                "Written specs before work starts. Feedback within two working days. We pay on time and "
                "we say thank you. We start with a small paid test so both sides can see how we work together."
            ),
        },
    },
    {
        "email": "hello@northwind.example.com",
        "full_name": "Jonas Berg",
        "country": "SE",
        "timezone": "Europe/Stockholm",
        "profile": {
            "company_name": "Northwind Studio",
            "website": "https://northwind.example.com",
            "team_size": "2-10",
            "about_team": "A small design-led studio making e-commerce sites for Scandinavian furniture makers.",
            "vision": "Beautiful shops that load fast on a phone in a forest cabin.",
            "values": "Calm pace, clear briefs, honest estimates. Async first; one weekly call.",
        },
    },
]

FREELANCERS = [
    {
        "email": "freelancer@example.com",
        "full_name": "Priya Raman",
        "country": "IN",
        "timezone": "Asia/Kolkata",
        "profile": {
            "headline": "Django & payments engineer — Stripe, ledgers, Celery",
            "bio": (
                "Eight years of Python, six of them on Django products that move money: marketplaces, "
                "subscription billing and payouts.\n\nI write tests first, document what I build and "
                "send a short written update at the end of every working day."
            ),
            "hourly_rate_cents": 85_00,
            "availability": "part_time",
        },
        "skills": ["Python", "Django", "Django REST Framework", "Stripe Integration", "PostgreSQL", "Celery"],
        "portfolio": [
            (
                "Payouts ledger for a tutoring marketplace",
                "Double-entry ledger and weekly payouts for 4,000 tutors.",
                "https://tutorly.example.com",
                (11, 93, 75),
            ),
            ("Booking API for clinics", "REST API with 99.95% uptime over two years.", "", (26, 86, 219)),
        ],
    },
    {
        "email": "lena.design@example.com",
        "full_name": "Lena Fischer",
        "country": "DE",
        "timezone": "Europe/Berlin",
        "profile": {
            "headline": "Product designer for calm, accessible interfaces",
            "bio": "I design web apps that people can use on the first try. WCAG AA by default.",
            "hourly_rate_cents": 70_00,
            "availability": "full_time",
        },
        "skills": ["UI Design", "UX Research", "Figma", "Accessibility Audits"],
        "portfolio": [("Clinic booking redesign", "Cut no-shows by 18% with clearer reminders.", "", (164, 22, 26))],
    },
    {
        "email": "sam.ops@example.com",
        "full_name": "Sam Adeyemi",
        "country": "NG",
        "timezone": "Africa/Lagos",
        "profile": {
            "headline": "DevOps engineer — Docker, PostgreSQL, zero-downtime deploys",
            "bio": "I make deploys boring: CI/CD, observability and databases that don't wake you up.",
            "hourly_rate_cents": 60_00,
            "availability": "as_needed",
        },
        "skills": ["Docker", "Kubernetes", "PostgreSQL", "CI/CD", "AWS", "Redis"],
        "portfolio": [],
    },
]


PROJECTS = [
    {
        "client": "client@example.com",
        "skills": ["Python", "Django", "PostgreSQL"],
        "questions": [
            {"text": "Have you fixed timezone bugs in scheduling code before? Tell us how.", "required": True}
        ],
        "data": {
            "kind": "test",
            "title": "Fix the timezone bug in our appointment reminders",
            "summary": "Reminders go out an hour early for clinics after the clocks change. Find and fix it, with a test.",
            "description": (
                "Our Django app sends SMS reminders 24 hours before each appointment. Since the last daylight "
                "saving change, clinics in Europe/London get them an hour early.\n\nYou will get read access "
                "to the repository and a staging database. Celery beat schedules the reminders."
            ),
            "acceptance_criteria": (
                "1. Reminders go out 24 hours before the appointment in the clinic's local time, across DST.\n"
                "2. A regression test covers the clock change.\n3. A short note explains the cause."
            ),
            "follow_on_plan": "If this goes well, a 3-month contract to rebuild our reminder service (about $12,000).",
            "category": "web-software-development",
            "experience_level": "intermediate",
            "budget_min_cents": 350_00,
            "budget_max_cents": 350_00,
            "duration_days": 7,
            "apply_in_days": 10,
        },
        "proposals": [
            {
                "freelancer": "freelancer@example.com",
                "cover_letter": (
                    "I have fixed this exact bug twice: naive datetimes stored in UTC and converted with a fixed "
                    "offset. I'll reproduce it with a frozen-time test first, then fix it."
                ),
                "duration_days": 5,
                "milestones": [("Fix, regression test and write-up", 350_00, 6)],
                "answer": "Yes — a booking platform in 2024; the offset was cached per clinic at signup.",
                "shortlist": True,
                "interview": True,
                "messages": [
                    ("client", "Thanks Priya! Could you start on Monday?"),
                    ("freelancer", "Yes, Monday works. I'll need read access to the repository."),
                ],
            }
        ],
    },
    {
        "client": "client@example.com",
        "skills": ["Python", "Django", "Stripe Integration", "Payments Engineering"],
        "data": {
            "kind": "standard",
            "title": "Stripe Connect payouts for our clinic marketplace",
            "summary": "Pay out physiotherapists weekly through Stripe Connect, with a ledger we can audit.",
            "description": (
                "Clinics take payments through Lumen. We need weekly payouts to each therapist through Stripe "
                "Connect, a double-entry ledger, and a reconciliation report finance can read."
            ),
            "category": "web-software-development",
            "experience_level": "expert",
            "budget_min_cents": 4_000_00,
            "budget_max_cents": 6_000_00,
            "duration_days": 45,
            "apply_in_days": 20,
        },
        "proposals": [
            {
                "freelancer": "sam.ops@example.com",
                "cover_letter": "I can own the deployment and monitoring side and pair with your team on the ledger.",
                "duration_days": 40,
                "contract": ["fund", "submit", "approve"],
                "milestones": [
                    ("Ledger and Connect onboarding", 2_500_00, 20),
                    ("Payouts and reconciliation", 2_500_00, 40),
                ],
            }
        ],
    },
    {
        "client": "client@example.com",
        "skills": ["Accessibility Audits", "UX Research"],
        "publish": False,
        "data": {
            "kind": "test",
            "title": "Accessibility audit of our booking flow",
            "summary": "Audit the five booking screens against WCAG 2.2 AA and list fixes by priority.",
            "description": "Five screens, web only. We want a prioritised list with screenshots.",
            "acceptance_criteria": "A report covering every WCAG 2.2 AA criterion for the five screens.",
            "follow_on_plan": "If useful, we will hire you to help fix the issues.",
            "category": "quality-security",
            "experience_level": "intermediate",
            "budget_min_cents": 400_00,
            "budget_max_cents": 400_00,
            "duration_days": 5,
            "apply_in_days": 14,
        },
    },
    {
        "client": "client@example.com",
        "skills": ["PostgreSQL", "Data Engineering", "ETL Pipelines"],
        "data": {
            "kind": "standard",
            "title": "Patient-record import from a new EHR partner",
            "summary": "Import appointment history from a partner's records system into PostgreSQL, safely.",
            "description": (
                "Confidential: the partner is Northfield Health. Their export is a nightly SFTP drop of "
                "HL7 files; we need an idempotent importer with a dry-run mode."
            ),
            "category": "data-machine-learning",
            "experience_level": "expert",
            "budget_min_cents": 2_500_00,
            "budget_max_cents": 2_500_00,
            "duration_days": 30,
            "apply_in_days": 15,
            "is_confidential": True,
        },
    },
    {
        "client": "hello@northwind.example.com",
        "skills": ["Shopify", "HTML & CSS", "JavaScript"],
        "data": {
            "kind": "test",
            "title": "Make our product pages load fast on a phone",
            "summary": "Our Shopify product pages take 6 s on 4G. Get them under 2.5 s LCP.",
            "description": "Shopify theme, lots of large images and three apps injecting scripts.",
            "acceptance_criteria": "Largest Contentful Paint under 2.5 s on a mid-range phone for the top 5 products.",
            "follow_on_plan": "If it works, we redesign the whole shop together.",
            "category": "web-software-development",
            "experience_level": "intermediate",
            "budget_min_cents": 200_00,
            "budget_max_cents": 200_00,
            "duration_days": 5,
            "apply_in_days": 7,
        },
        "proposals": [
            {
                "freelancer": "freelancer@example.com",
                "cover_letter": "I'd start with a Lighthouse trace and lazy-load below-the-fold images.",
                "duration_days": 4,
                "contract": ["fund", "submit"],
                "milestones": [("Speed fixes with before/after report", 200_00, 5)],
            }
        ],
    },
    {
        "client": "hello@northwind.example.com",
        "skills": ["Shopify", "UI Design", "Figma"],
        "data": {
            "kind": "standard",
            "title": "Shopify theme redesign for a furniture maker",
            "summary": "A calm, fast theme for handmade Scandinavian furniture, designed and built.",
            "description": "Design in Figma first, then build it as a Shopify 2.0 theme. About 12 templates.",
            "category": "design-creative",
            "experience_level": "expert",
            "budget_min_cents": 3_000_00,
            "budget_max_cents": 3_000_00,
            "duration_days": 60,
            "apply_in_days": 25,
        },
        "proposals": [
            {
                "freelancer": "lena.design@example.com",
                "cover_letter": "I've designed two furniture shops; calm and fast is exactly how I work.",
                "duration_days": 50,
                "contract": ["fund"],
                "milestones": [("Figma designs", 1_200_00, 20), ("Theme build", 1_800_00, 50)],
            }
        ],
    },
]


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
            user_permissions__codename="moderate",
            user_permissions__content_type__app_label="accounts",
            authenticator__type=Authenticator.Type.TOTP,
        ).exists()
    )
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
        moderator, created = _user(MODERATOR_EMAIL, full_name="Alex Moderator", is_staff=True)
        created_count += created
        moderator.user_permissions.add(Permission.objects.get(codename="moderate", content_type__app_label="accounts"))
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

    def _run_contract(self, *, proposal, client, freelancer, steps) -> None:
        from contracts import services as deals
        from contracts.models import Offer

        market.proposal_hire(proposal=proposal, by=client)
        contract = deals.offer_accept(offer=Offer.objects.get(proposal=proposal), by=freelancer)
        milestone = contract.milestones.order_by("position").first()
        for step in steps:
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
            f"  otpauth://totp/Proofwork:moderator%40example.com?secret={secret}&issuer=Proofwork\n"
            f"  Code right now: {code} (changes every {mfa_settings.TOTP_PERIOD} s)\n"
            f"  Recovery codes (each works once): {recovery}"
        )
