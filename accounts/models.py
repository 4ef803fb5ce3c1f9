from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django_countries.fields import CountryField

from core.transitions import Stateful, StatusEvent

# Only web links: "javascript:" and "data:" URLs would run script when a visitor clicks them.
http_url_validator = URLValidator(schemes=["http", "https"])

BIO_MAX_LENGTH = 5000
PITCH_MAX_LENGTH = 3000
HOURLY_RATE_MIN_CENTS = 5_00
HOURLY_RATE_MAX_CENTS = 999_00


def _upload_path(folder: str, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"{folder}/{uuid.uuid4().hex}.{extension}"


def avatar_upload_path(instance: User, filename: str) -> str:
    return _upload_path("avatars", filename)


def portfolio_upload_path(instance: PortfolioItem, filename: str) -> str:
    return _upload_path("portfolio", filename)


class UserManager(DjangoUserManager):
    """Email is the login; there is no username."""

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None
    first_name = None
    last_name = None
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField("full name", max_length=120, blank=True)
    # One account can hire, work, or both; each role has its own profile.
    is_client = models.BooleanField("wants to hire", default=False)
    is_freelancer = models.BooleanField("wants to work", default=False)
    avatar = models.ImageField(upload_to=avatar_upload_path, blank=True)
    country = CountryField(blank=True, blank_label="Choose a country")
    timezone = models.CharField(max_length=64, default="UTC")
    # A suspended account can sign in and read, but takes no part in the market.
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.TextField(blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        permissions = [("moderate", "Can use the moderation area")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def has_chosen_role(self) -> bool:
        return self.is_client or self.is_freelancer

    def get_short_name(self) -> str:
        return self.display_name

    def get_full_name(self) -> str:
        return self.full_name


class SkillCategory(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "skill categories"

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    category = models.ForeignKey(SkillCategory, on_delete=models.PROTECT, related_name="skills")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FreelancerProfile(models.Model):
    class Availability(models.TextChoices):
        FULL_TIME = "full_time", "More than 30 hrs/week"
        PART_TIME = "part_time", "Less than 30 hrs/week"
        AS_NEEDED = "as_needed", "As needed — open to offers"
        UNAVAILABLE = "unavailable", "Not taking new work"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="freelancer_profile")
    headline = models.CharField(max_length=120, blank=True)
    bio = models.TextField(blank=True, validators=[MaxLengthValidator(BIO_MAX_LENGTH)])
    hourly_rate_cents = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(HOURLY_RATE_MIN_CENTS), MaxValueValidator(HOURLY_RATE_MAX_CENTS)],
    )  # minor units of `currency`
    currency = models.CharField(max_length=3, default="USD")
    skills = models.ManyToManyField(Skill, blank=True, related_name="freelancers")
    availability = models.CharField(max_length=20, choices=Availability.choices, default=Availability.AS_NEEDED)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Freelancer profile of {self.user}"

    def get_absolute_url(self) -> str:
        return reverse("freelancer_public", args=[self.user_id])

    @property
    def is_complete(self) -> bool:
        """Complete enough to be shown publicly and to propose."""
        return bool(self.headline and self.bio and self.hourly_rate_cents)


class ClientProfile(models.Model):
    class TeamSize(models.TextChoices):
        SOLO = "1", "Just me"
        SMALL = "2-10", "2–10 people"
        MEDIUM = "11-50", "11–50 people"
        LARGE = "51-200", "51–200 people"
        ENTERPRISE = "201+", "More than 200 people"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="client_profile")
    company_name = models.CharField("name or company", max_length=120, blank=True)
    website = models.URLField(max_length=300, blank=True, validators=[http_url_validator])
    team_size = models.CharField(max_length=10, choices=TeamSize.choices, default=TeamSize.SOLO)
    # The pitch: freelancers read these before they decide to apply.
    about_team = models.TextField("about the team", blank=True, validators=[MaxLengthValidator(PITCH_MAX_LENGTH)])
    vision = models.TextField(blank=True, validators=[MaxLengthValidator(PITCH_MAX_LENGTH)])
    values = models.TextField(blank=True, validators=[MaxLengthValidator(PITCH_MAX_LENGTH)])
    # Set by the payments app once a card or bank account has been charged successfully.
    payment_method_verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Client profile of {self.user}"

    def get_absolute_url(self) -> str:
        return reverse("client_public", args=[self.user_id])

    @property
    def display_name(self) -> str:
        return self.company_name or self.user.display_name

    @property
    def is_complete(self) -> bool:
        return bool(self.company_name and self.about_team)


class PortfolioItem(models.Model):
    profile = models.ForeignKey(FreelancerProfile, on_delete=models.CASCADE, related_name="portfolio_items")
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True, validators=[MaxLengthValidator(2000)])
    url = models.URLField("link", max_length=300, blank=True, validators=[http_url_validator])
    image = models.ImageField(upload_to=portfolio_upload_path, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class ApiToken(models.Model):
    """A key for the REST API. Only the SHA-256 digest of the key is stored: the key itself is shown
    once, when it is issued, so a copy of the database opens no one's account. A token stops
    working at `expires_at` (a fixed lifetime from issue, not extended by use), when its owner
    revokes it, and when the password changes or two-factor is turned on."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)  # hex SHA-256 of the key
    name = models.CharField(max_length=100, blank=True)  # what asked for it, e.g. the client's User-Agent
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"API token {self.pk} of {self.user_id}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class ModerationAction(models.Model):
    """The audit log of the moderation area: who did what to what, when and why. Rows are only
    ever added (accounts.moderation.audit); nobody edits or deletes them, in the admin either."""

    class Verb(models.TextChoices):
        SUSPENDED = "suspended", "Suspended a member"
        REINSTATED = "reinstated", "Reinstated a member"
        DECIDED_DISPUTE = "decided_dispute", "Decided a dispute"
        VIEWED = "viewed", "Read a private page"
        HID = "hid", "Hid content"
        UNHID = "unhid", "Showed hidden content again"
        RESOLVED_REPORT = "resolved_report", "Answered a report"
        ADMIN_CHANGE = "admin_change", "Changed data in the admin"

    actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    verb = models.CharField(max_length=20, choices=Verb.choices)
    target = models.CharField(max_length=60)  # "user:12", "dispute:4", "project:9", "conversation:3"
    target_label = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["target", "-at"])]

    def __str__(self) -> str:
        return f"{self.get_verb_display()} {self.target} ({self.at:%Y-%m-%d})"


class Report(Stateful, models.Model):
    """A member reports a project, a message or a member to the moderators; staff answer it
    (something was done, or nothing needed doing) and the reporter reads the outcome."""

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        OFF_PLATFORM = "off_platform", "Asks to pay or be paid outside Proofwork"
        SCAM = "scam", "Fraud or a scam"
        ABUSE = "abuse", "Harassment or abusive language"
        INAPPROPRIATE = "inappropriate", "Inappropriate or illegal content"
        MISLEADING = "misleading", "Misleading or fake"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a moderator"
        ACTIONED = "actioned", "A moderator acted on it"
        DISMISSED = "dismissed", "Reviewed: nothing to do"

    TRANSITIONS = {
        Status.OPEN: {Status.ACTIONED, Status.DISMISSED},
        Status.ACTIONED: set(),
        Status.DISMISSED: set(),
    }

    reporter = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="reports_made")
    target = models.CharField(max_length=60)  # "project:12", "message:40", "user:7"
    target_label = models.CharField(max_length=200)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.TextField(max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    outcome = models.TextField(max_length=1000, blank=True)  # what the reporter reads
    resolved_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "target"], condition=models.Q(status="open"), name="one_open_report_per_target"
            )
        ]

    def __str__(self) -> str:
        return f"Report {self.pk} on {self.target}"

    @property
    def target_kind(self) -> str:
        return self.target.partition(":")[0]


class ReportEvent(StatusEvent):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
