import pytest


@pytest.mark.django_db
def test_home_page_invites_people_to_sign_up(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Create your account" in response.content
