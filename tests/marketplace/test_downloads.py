"""The page and the API send a project's or a proposal's files on the same rule, and a download
from a confidential project is logged for its client whichever way it was made."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from marketplace import services
from marketplace.models import ConfidentialAccess
from tests.marketplace.test_project_pages import make_project, pdf

pytestmark = pytest.mark.django_db


def test_a_confidential_file_is_refused_and_then_logged_alike_on_the_page_and_the_api(client_user, freelancer):
    # given a confidential project with a file, and a freelancer who has not accepted its NDA
    project = make_project(client_user, is_confidential=True, nda_text="Keep it quiet.", attachments=[pdf("plan.pdf")])
    attachment = project.attachments.get()
    page_url = reverse("project_attachment", args=[project.pk, attachment.pk])
    api_url = f"/api/v1/projects/{project.pk}/attachments/{attachment.pk}/"
    browser, api = Client(), APIClient()
    browser.force_login(freelancer)
    api.force_authenticate(freelancer)
    # then neither way sends the file
    assert (browser.get(page_url).status_code, api.get(api_url).status_code) == (404, 404)
    # when they accept the NDA, both ways send it, and the client sees two downloads in the log
    services.project_nda_accept(project=project, freelancer=freelancer, ip_address="127.0.0.1")
    assert (browser.get(page_url).status_code, api.get(api_url).status_code) == (200, 200)
    logged = ConfidentialAccess.objects.filter(user=freelancer, action=ConfidentialAccess.Action.DOWNLOAD)
    assert [access.attachment_id for access in logged] == [attachment.pk, attachment.pk]


def test_a_file_whose_bytes_are_gone_is_a_404_on_the_page_and_the_api(client_user):
    project = make_project(client_user, attachments=[pdf("gone.pdf")])
    attachment = project.attachments.get()
    attachment.file.delete(save=False)
    browser, api = Client(), APIClient()
    browser.force_login(client_user)
    api.force_authenticate(client_user)
    assert browser.get(reverse("project_attachment", args=[project.pk, attachment.pk])).status_code == 404
    assert api.get(f"/api/v1/projects/{project.pk}/attachments/{attachment.pk}/").status_code == 404
