import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import ClientProfile, FreelancerProfile, ModerationAction, Skill, User
from core.exceptions import DomainError
from tests.factories import FreelancerProfileFactory, PortfolioItemFactory, UserFactory, image_upload

pytestmark = pytest.mark.django_db


def test_choosing_both_roles_opens_both_profiles():
    user = UserFactory()
    services.user_set_roles(user=user, is_client=True, is_freelancer=True)
    user.refresh_from_db()
    assert user.is_client and user.is_freelancer
    assert ClientProfile.objects.filter(user=user).exists()
    assert FreelancerProfile.objects.filter(user=user).exists()


def test_choosing_no_role_is_refused_and_changes_nothing():
    user = UserFactory()
    with pytest.raises(DomainError, match="at least one"):
        services.user_set_roles(user=user, is_client=False, is_freelancer=False)
    user.refresh_from_db()
    assert not user.has_chosen_role
    assert not FreelancerProfile.objects.filter(user=user).exists()


def test_freelancer_profile_update_saves_fields_and_skills():
    user = UserFactory(is_freelancer=True)
    skills = list(Skill.objects.filter(name__in=["Django", "Celery", "PostgreSQL"]))
    profile = services.freelancer_profile_update(
        user=user,
        headline="Payments engineer",
        bio="Ledgers.",
        hourly_rate_cents=90_00,
        availability="full_time",
        skills=skills,
        user_details={"full_name": "Ada L", "country": "GB", "timezone": "Europe/London"},
    )
    profile.refresh_from_db()
    user.refresh_from_db()
    assert profile.hourly_rate_cents == 90_00
    assert {s.name for s in profile.skills.all()} == {"Django", "Celery", "PostgreSQL"}
    assert user.full_name == "Ada L" and user.timezone == "Europe/London"
    assert profile.is_complete


def test_profile_of_someone_who_does_not_work_is_refused():
    user = UserFactory(is_client=True)
    with pytest.raises(DomainError):
        services.freelancer_profile_update(user=user, headline="x")
    assert not FreelancerProfile.objects.filter(user=user).exists()


def test_too_many_skills_are_refused_and_nothing_is_saved(settings):
    settings.FREELANCER_MAX_SKILLS = 3
    profile = FreelancerProfileFactory(skills=[])
    with pytest.raises(DomainError, match="at most 3"):
        services.freelancer_profile_update(user=profile.user, headline="Changed", skills=list(Skill.objects.all()[:4]))
    profile.refresh_from_db()
    assert profile.headline != "Changed"
    assert profile.skills.count() == 0


def test_over_long_bio_is_refused():
    profile = FreelancerProfileFactory()
    with pytest.raises(ValidationError):
        services.freelancer_profile_update(user=profile.user, bio="x" * 5001)
    profile.refresh_from_db()
    assert len(profile.bio) < 5001


def test_javascript_website_is_refused():
    user = UserFactory(is_client=True)
    with pytest.raises(ValidationError):
        services.client_profile_update(user=user, company_name="Acme", website="javascript:alert(1)")
    assert not ClientProfile.objects.filter(user=user, company_name="Acme").exists()


def test_portfolio_is_capped(settings):
    settings.PORTFOLIO_MAX_ITEMS = 2
    profile = FreelancerProfileFactory()
    PortfolioItemFactory.create_batch(2, profile=profile)
    with pytest.raises(DomainError, match="at most 2"):
        services.portfolio_item_save(user=profile.user, title="Third")
    assert profile.portfolio_items.count() == 2


def test_portfolio_image_is_re_encoded_and_stripped_of_trailing_bytes():
    profile = FreelancerProfileFactory()
    upload = image_upload("shot.png")
    upload.file.seek(0, 2)
    upload.file.write(b"<script>alert(1)</script>")
    upload.file.seek(0)
    item = services.portfolio_item_save(user=profile.user, title="Shop", image=upload)
    stored = item.image.read()
    assert stored.startswith(b"\x89PNG")
    assert b"<script>" not in stored


def test_cannot_edit_someone_elses_portfolio_item():
    item = PortfolioItemFactory()
    intruder = FreelancerProfileFactory().user
    with pytest.raises(DomainError):
        services.portfolio_item_save(user=intruder, item=item, title="Mine now")
    item.refresh_from_db()
    assert item.title != "Mine now"


def test_moderator_suspends_with_reason_and_member_is_told(moderator, mailoutbox, django_capture_on_commit_callbacks):
    member = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.user_suspend(user=member, by=moderator, reason="Spam proposals")
    member.refresh_from_db()
    assert member.is_suspended and member.suspension_reason == "Spam proposals"
    assert member.notifications.filter(kind="account.suspended").exists()
    assert [m.to for m in mailoutbox] == [[member.email]]
    assert "Spam proposals" in mailoutbox[0].body


def test_suspending_twice_or_without_reason_is_refused(moderator):
    member = UserFactory()
    with pytest.raises(DomainError):
        services.user_suspend(user=member, by=moderator, reason="   ")
    services.user_suspend(user=member, by=moderator, reason="Abuse")
    with pytest.raises(DomainError, match="already"):
        services.user_suspend(user=member, by=moderator, reason="Again")
    with pytest.raises(DomainError, match="reason"):
        services.user_unsuspend(user=member, by=moderator, reason=" ")
    services.user_unsuspend(user=member, by=moderator, reason="Identity confirmed.")
    member.refresh_from_db()
    assert not member.is_suspended
    # and both moves are in the audit log, with who, what and why
    log = [(a.actor, a.verb, a.target, a.reason) for a in ModerationAction.objects.order_by("at", "pk")]
    assert log == [
        (moderator, "suspended", f"user:{member.pk}", "Abuse"),
        (moderator, "reinstated", f"user:{member.pk}", "Identity confirmed."),
    ]


def test_staff_without_permission_cannot_suspend():
    staff = UserFactory(is_staff=True)
    member = UserFactory()
    with pytest.raises(DomainError):
        services.user_suspend(user=member, by=staff, reason="No")
    member.refresh_from_db()
    assert not member.is_suspended


def test_emails_are_stored_lower_case_and_unique():
    User.objects.create_user(email="Mixed@Example.com", password="x" * 12)
    assert User.objects.filter(email="mixed@example.com").exists()
