"""A profile or portfolio form with a file that fails on another field: the browser cannot be given
the chosen file back, so the page says plainly that it was not kept and asks for it again."""

import pytest
from django.urls import reverse

from accounts.models import PortfolioItem
from tests.accounts.test_views import freelancer_form
from tests.factories import FreelancerProfileFactory, image_upload

pytestmark = pytest.mark.django_db

ASK_AGAIN = "Files are not kept when a form has problems."


def test_a_failed_freelancer_profile_asks_for_the_photo_again(client):
    profile = FreelancerProfileFactory()
    client.force_login(profile.user)
    # when the photo is sent with a headline left empty
    response = client.post(
        reverse("profile_freelancer_edit"), {**freelancer_form(headline=""), "avatar": image_upload("me.png")}
    )
    # then nothing is saved and the page asks for the photo again
    assert response.status_code == 200
    assert "Nothing was saved" in response.text
    assert ASK_AGAIN in response.text and "Choose your photo again" in response.text
    profile.user.refresh_from_db()
    assert not profile.user.avatar


def test_a_failed_profile_without_a_file_does_not_mention_files(client):
    profile = FreelancerProfileFactory()
    client.force_login(profile.user)
    response = client.post(reverse("profile_freelancer_edit"), freelancer_form(headline=""))
    assert "Nothing was saved" in response.text
    assert ASK_AGAIN not in response.text


def test_a_failed_portfolio_item_asks_for_the_image_again(client):
    profile = FreelancerProfileFactory()
    client.force_login(profile.user)
    response = client.post(
        reverse("portfolio_item_create"),
        {"title": "", "description": "Cut no-shows", "url": "https://x.example.com", "image": image_upload()},
    )
    assert response.status_code == 200
    assert ASK_AGAIN in response.text and "Choose the image again" in response.text
    assert not PortfolioItem.objects.exists()
