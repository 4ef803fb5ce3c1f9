"""Demo data: three logins and a handful of realistic profiles. Safe to run any number of times."""

from __future__ import annotations

import io
import time

from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.mfa.utils import decrypt
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from PIL import Image, ImageDraw

from accounts import services
from accounts.models import Skill, User

DEMO_PASSWORD = "proofwork-demo"

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


def _demo_image(title: str, color: tuple[int, int, int]) -> SimpleUploadedFile:
    image = Image.new("RGB", (800, 450), color)
    ImageDraw.Draw(image).text((40, 200), title, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("demo.png", buffer.getvalue(), content_type="image/png")


def _user(email: str, **fields) -> tuple[User, bool]:
    user = User.objects.filter(email=email).first()
    created = user is None
    if created:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, **fields)
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user, created


class Command(BaseCommand):
    help = "Create the demo logins and realistic profiles (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--print-moderator-secret", action="store_true", help="Only print the moderator's two-factor details."
        )

    def handle(self, *args, print_moderator_secret: bool = False, **options):
        if print_moderator_secret:
            self.stdout.write(self._moderator_secret_text())
            return
        with transaction.atomic():
            created = self._seed()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new accounts)."))
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
        moderator, created = _user("moderator@example.com", full_name="Alex Moderator", is_staff=True)
        created_count += created
        moderator.user_permissions.add(Permission.objects.get(codename="moderate", content_type__app_label="accounts"))
        if not Authenticator.objects.filter(user=moderator, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(moderator, generate_totp_secret())
            RecoveryCodes.activate(moderator)
        return created_count

    def _moderator_secret_text(self) -> str:
        authenticator = Authenticator.objects.filter(
            user__email="moderator@example.com", type=Authenticator.Type.TOTP
        ).first()
        if authenticator is None:
            return "  The moderator has no authenticator yet: run `manage.py seed_demo`."
        secret = decrypt(authenticator.data["secret"])
        code = format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))
        codes = Authenticator.objects.filter(
            user__email="moderator@example.com", type=Authenticator.Type.RECOVERY_CODES
        ).first()
        recovery = ", ".join(RecoveryCodes(codes).get_unused_codes()[:3]) if codes else "none"
        return (
            f"  Moderator two-factor secret (add it to any authenticator app): {secret}\n"
            f"  otpauth://totp/Proofwork:moderator%40example.com?secret={secret}&issuer=Proofwork\n"
            f"  Code right now: {code} (changes every {mfa_settings.TOTP_PERIOD} s)\n"
            f"  Recovery codes (each works once): {recovery}"
        )
