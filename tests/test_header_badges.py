"""The header's unread counts: right on every page, and both read in one query when neither is kept."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from messaging.services import conversation_for_topic, message_send
from notifications.services import notify
from tests.helpers import browser_for, text
from tests.marketplace.factories import new_client, new_freelancer

pytestmark = pytest.mark.django_db


def counted_get(browser, url) -> tuple[str, int]:
    ran = []

    def count(execute, sql, params, many, context):
        ran.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = browser.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(ran)


def test_both_counts_are_shown_and_cost_one_query_together_when_the_cache_is_cold():
    freelancer, client = new_freelancer(), new_client()
    conversation = conversation_for_topic(
        topic_type="direct", topic_id=client.pk, title="Hello", participants=[freelancer, client]
    )
    for body in ("One", "Two", "Three"):
        message_send(conversation=conversation, sender=client, body=body)
    for n in range(2):
        notify(recipient=freelancer, kind="account.welcome", title=f"Note {n}")
    browser = browser_for(freelancer)
    url = reverse("notification_list")
    browser.get(url)
    page, warm = counted_get(browser, url)
    assert 'aria-label="3 unread messages">3<' in page
    unread_notes = text(browser.get(url))
    cache.delete_many([f"notifications:unread:{freelancer.pk}", f"messaging:unread:{freelancer.pk}"])
    cold_page, cold = counted_get(browser, url)
    assert cold == warm + 1
    assert 'aria-label="3 unread messages">3<' in cold_page
    assert text(browser.get(url)) == unread_notes
