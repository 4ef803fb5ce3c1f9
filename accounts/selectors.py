"""Reads shared across views and the API; public lists never include suspended or inactive accounts."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet, Subquery

from accounts.models import ClientProfile, FreelancerProfile, PortfolioItem, Skill, SkillCategory, User


def public_freelancer_profiles() -> QuerySet[FreelancerProfile]:
    return (
        FreelancerProfile.objects.filter(
            user__is_active=True, user__suspended_at__isnull=True, user__is_freelancer=True
        )
        .exclude(headline="")
        .select_related("user")
        .prefetch_related(
            Prefetch("skills", queryset=Skill.objects.order_by("name")),
            Prefetch("portfolio_items", queryset=PortfolioItem.objects.order_by("-created_at", "-pk")),
        )
    )


def public_client_profiles() -> QuerySet[ClientProfile]:
    return ClientProfile.objects.filter(
        user__is_active=True, user__suspended_at__isnull=True, user__is_client=True
    ).select_related("user")


def skill_categories_with_skills() -> QuerySet[SkillCategory]:
    return SkillCategory.objects.prefetch_related(Prefetch("skills", queryset=Skill.objects.order_by("name")))


def portfolio_items_for_user(user: User) -> QuerySet[PortfolioItem]:
    """A freelancer's own items; someone else's item is simply not found."""
    return PortfolioItem.objects.filter(profile__user=user)


def freelancer_profile_of(user: User) -> FreelancerProfile:
    """The person's freelancer profile; an unsaved blank one when there is none yet (the services
    create it on choosing the role or on saving), so a page never writes to show it."""
    # What the completion checklist asks about comes in the same query.
    skills = FreelancerProfile.skills.through.objects.filter(freelancerprofile_id=OuterRef("pk"))
    profile = (
        FreelancerProfile.objects.filter(user=user)
        .annotate(
            skill_total=Subquery(skills.values("freelancerprofile_id").annotate(n=Count("pk")).values("n")),
            has_portfolio=Exists(PortfolioItem.objects.filter(profile=OuterRef("pk"))),
        )
        .first()
    )
    return profile if profile is not None else FreelancerProfile(user=user)


def client_profile_of(user: User) -> ClientProfile:
    """The person's client profile; an unsaved blank one when there is none yet (see above)."""
    profile = ClientProfile.objects.filter(user=user).first()
    return profile if profile is not None else ClientProfile(user=user)


def freelancer_profile_completion(profile: FreelancerProfile) -> list[tuple[str, bool]]:
    saved = profile.pk is not None  # an unsaved profile has no skills or portfolio to ask about
    return [
        ("Headline", bool(profile.headline)),
        ("Bio", bool(profile.bio)),
        ("Hourly rate", bool(profile.hourly_rate_cents)),
        ("At least three skills", saved and _skill_total(profile) >= 3),
        ("A portfolio item", saved and _has_portfolio(profile)),
    ]


def _skill_total(profile: FreelancerProfile) -> int:
    total = getattr(profile, "skill_total", None)  # annotated by freelancer_profile_of
    return profile.skills.count() if total is None and not hasattr(profile, "has_portfolio") else total or 0


def _has_portfolio(profile: FreelancerProfile) -> bool:
    found = getattr(profile, "has_portfolio", None)
    return profile.portfolio_items.exists() if found is None else found


def client_profile_completion(profile: ClientProfile) -> list[tuple[str, bool]]:
    return [
        ("Name or company", bool(profile.company_name)),
        ("About the team", bool(profile.about_team)),
        ("Vision", bool(profile.vision)),
        ("Values", bool(profile.values)),
    ]
