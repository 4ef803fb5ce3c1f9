import pytest


@pytest.mark.django_db
def test_home_page_invites_people_to_sign_up(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Create your account" in response.content


@pytest.mark.django_db
def test_a_browser_asking_for_favicon_ico_gets_the_sites_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")
