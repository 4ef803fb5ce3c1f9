from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from core import ratelimit
from core.exceptions import DomainError, RateLimited
from messaging import selectors, topics
from messaging.models import Conversation, Message, MessageAttachment, Participant
from messaging.services import conversation_for_topic, conversation_mark_read, message_send
from messaging.topics import register_topic
from notifications.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def pdf(name: str = "brief.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def stored_attachment_files() -> set[Path]:
    folder = Path(settings.PRIVATE_MEDIA_ROOT) / "messaging" / "messageattachment"
    return set(folder.iterdir()) if folder.exists() else set()


@pytest.fixture
def conversation(client_user, freelancer):
    return conversation_for_topic(
        topic_type="proposal", topic_id=41, title="Proposal: Clinic booking app", participants=[client_user, freelancer]
    )


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def frozen_rate_window(monkeypatch):
    """Keep every hit in one rate-limit window, so a test never straddles a minute boundary."""
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))


def thread_url(conversation: Conversation) -> str:
    return reverse("conversation_detail", args=[conversation.pk])


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- Sending and being told -------------------------------------------------------------------------


def test_a_participant_sends_and_the_other_is_told_in_app_and_by_email(
    client, conversation, client_user, freelancer, mailoutbox, django_capture_on_commit_callbacks
):
    # given the freelancer on the conversation page
    client.force_login(freelancer)
    # when they send a message
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(thread_url(conversation), {"body": "  Hi! I can start Monday.\nQuestions below.  "})
    # then they land back on the thread, and it shows their message
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "Hi! I can start Monday." in page.text
    assert Message.objects.get().body == "Hi! I can start Monday.\nQuestions below."
    # and the client has an in-app notification linking to the conversation, and an email
    notification = Notification.objects.get(recipient=client_user)
    assert notification.title == f"New message from {freelancer.display_name}"
    assert notification.body.startswith("Hi! I can start Monday.")
    assert notification.url == thread_url(conversation)
    assert [mail.to for mail in mailoutbox] == [[client_user.email]]
    assert "New message from" in mailoutbox[0].subject
    # and the sender is not notified about their own message
    assert not Notification.objects.filter(recipient=freelancer).exists()


def test_no_email_leaves_before_the_message_is_committed(
    conversation, freelancer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message_send(conversation=conversation, sender=freelancer, body="Hello")
    assert mailoutbox == []
    assert callbacks  # the email waits for the commit


def test_the_notification_preview_is_the_first_200_characters(conversation, client_user, freelancer):
    message_send(conversation=conversation, sender=freelancer, body="x" * 450)
    assert Notification.objects.get(recipient=client_user).body == "x" * 200


def test_a_burst_of_messages_sends_one_email_until_the_thread_is_read(
    client, conversation, client_user, freelancer, mailoutbox, django_capture_on_commit_callbacks
):
    # given a freelancer who sends three messages in a row
    with django_capture_on_commit_callbacks(execute=True):
        for body in ("Hi!", "One more thing:", "the staging link is ready."):
            message_send(conversation=conversation, sender=freelancer, body=body)
    # then the client has one notification in the app, brought up to date, and one email in their inbox
    (notification,) = Notification.objects.filter(recipient=client_user, read_at__isnull=True)
    assert notification.title == f"3 new messages in “{conversation.title}”"
    assert notification.body == "the staging link is ready."
    assert [mail.to for mail in mailoutbox] == [[client_user.email]]

    # when the client opens the conversation
    client.force_login(client_user)
    assert client.get(thread_url(conversation)).status_code == 200
    # then those notifications count as read (the bell no longer counts them)
    assert not Notification.objects.filter(recipient=client_user, read_at__isnull=True).exists()

    # and the next message, sent after they read the thread, emails them again
    with django_capture_on_commit_callbacks(execute=True):
        message_send(conversation=conversation, sender=freelancer, body="Did you see the link?")
    assert len(mailoutbox) == 2
    assert "Did you see the link?" in mailoutbox[1].body


def test_replying_counts_as_reading_so_the_next_message_emails_again(
    conversation, client_user, freelancer, mailoutbox, django_capture_on_commit_callbacks
):
    # given a freelancer's question, the client's answer and the freelancer's thanks
    with django_capture_on_commit_callbacks(execute=True):
        message_send(conversation=conversation, sender=freelancer, body="Question about the brief")
        message_send(conversation=conversation, sender=client_user, body="Answer: yes")
        message_send(conversation=conversation, sender=freelancer, body="Thanks")
    # then the client was emailed twice (answering meant they had read the question) and the freelancer once
    assert sorted(mail.to[0] for mail in mailoutbox) == sorted([client_user.email, client_user.email, freelancer.email])
    # and the client's notification about the question was marked read when they answered
    unread = Notification.objects.filter(recipient=client_user, read_at__isnull=True)
    assert [(n.title, n.body) for n in unread] == [(f"New message from {freelancer.display_name}", "Thanks")]


# --- Who may see and send ---------------------------------------------------------------------------


def test_a_non_participant_gets_404_on_the_page_the_download_and_the_api(client, api, conversation, freelancer):
    message = message_send(conversation=conversation, sender=freelancer, body="Brief attached", files=[pdf()])
    attachment = message.attachments.get()
    outsider = UserFactory()
    client.force_login(outsider)
    api.force_authenticate(outsider)

    assert client.get(thread_url(conversation)).status_code == 404
    assert client.post(thread_url(conversation), {"body": "Let me in"}).status_code == 404
    assert client.get(reverse("message_attachment", args=[attachment.pk])).status_code == 404
    assert api.get(f"/api/v1/conversations/{conversation.pk}/").status_code == 404
    assert api.get(f"/api/v1/conversations/{conversation.pk}/messages/").status_code == 404
    assert (
        api.post(f"/api/v1/conversations/{conversation.pk}/messages/", {"body": "x"}, format="json").status_code == 404
    )
    assert api.post(f"/api/v1/conversations/{conversation.pk}/read/").status_code == 404
    assert api.get(f"/api/v1/conversations/{conversation.pk}/attachments/{attachment.pk}/").status_code == 404
    assert api.get("/api/v1/conversations/").json()["results"] == []
    assert Message.objects.count() == 1  # nothing the outsider sent was saved


def test_the_service_refuses_a_sender_who_is_not_in_the_conversation(conversation):
    with pytest.raises(DomainError):
        message_send(conversation=conversation, sender=UserFactory(), body="Hello?")
    assert not Message.objects.exists()


def test_a_suspended_member_cannot_send(client, conversation, freelancer):
    # given a freelancer whose account was suspended
    freelancer.suspended_at = freelancer.date_joined
    freelancer.save()
    client.force_login(freelancer)
    # when they try to send a message
    response = client.post(thread_url(conversation), {"body": "Still here"})
    # then the page says why and nothing is sent
    assert response.status_code == 200
    assert "Your account is suspended, so you cannot send messages." in response.text
    assert not Message.objects.exists()
    with pytest.raises(DomainError):
        message_send(conversation=conversation, sender=freelancer, body="Still here")


def test_an_anonymous_visitor_is_sent_to_log_in(client, conversation):
    response = client.get(thread_url(conversation))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


# --- What can be sent -------------------------------------------------------------------------------


def test_an_empty_message_is_refused_and_nothing_is_saved(client, conversation, client_user):
    client.force_login(client_user)
    response = client.post(thread_url(conversation), {"body": "   \n  "})
    assert response.status_code == 200
    assert "Write a message or attach a file." in response.text
    assert not Message.objects.exists()
    assert not Notification.objects.exists()


def test_html_renamed_to_pdf_is_refused_and_nothing_is_saved(client, conversation, client_user):
    before = stored_attachment_files()
    client.force_login(client_user)
    fake = SimpleUploadedFile("invoice.pdf", HTML, content_type="application/pdf")
    response = client.post(thread_url(conversation), {"body": "See the invoice", "files": [fake]})
    assert response.status_code == 200
    assert "contains HTML or SVG, which is not accepted" in response.text
    assert not Message.objects.exists()
    assert not MessageAttachment.objects.exists()
    assert stored_attachment_files() == before


def test_the_service_refuses_a_disguised_file_even_without_the_form(conversation, client_user):
    before = stored_attachment_files()
    good, bad = pdf(), SimpleUploadedFile("notes.pdf", HTML, content_type="application/pdf")
    with pytest.raises(DomainError) as refused:
        message_send(conversation=conversation, sender=client_user, body="Two files", files=[good, bad])
    assert refused.value.field == "files"
    assert not Message.objects.exists()
    assert stored_attachment_files() == before


def test_more_than_five_files_are_refused(client, conversation, client_user):
    client.force_login(client_user)
    response = client.post(thread_url(conversation), {"body": "", "files": [pdf(f"part{n}.pdf") for n in range(6)]})
    assert "Attach at most 5 files to one message." in response.text
    assert not Message.objects.exists()


def test_a_real_pdf_is_accepted_and_downloads_as_an_attachment_with_nosniff(
    client, conversation, client_user, freelancer
):
    # given the client sends a PDF with no text
    client.force_login(client_user)
    client.post(thread_url(conversation), {"body": "", "files": [pdf("Scope v2.pdf")]})
    attachment = MessageAttachment.objects.get()
    assert attachment.content_type == "application/pdf"
    # when the freelancer opens the conversation
    client.force_login(freelancer)
    page = client.get(thread_url(conversation))
    download_url = reverse("message_attachment", args=[attachment.pk])
    # then the file is listed with a link, and downloads as an attachment the browser will not sniff
    assert f'href="{download_url}"' in page.text and "Scope v2.pdf" in page.text
    response = client.get(download_url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF


# --- Reading ----------------------------------------------------------------------------------------


def test_read_receipt_appears_after_the_other_side_opens_the_conversation(
    client, conversation, client_user, freelancer
):
    message_send(conversation=conversation, sender=client_user, body="Can you share a timeline?")
    client.force_login(client_user)
    assert ">Read<" not in client.get(thread_url(conversation)).text
    # when the freelancer opens the conversation
    client.force_login(freelancer)
    client.get(thread_url(conversation))
    # then the client sees "Read" under their message
    client.force_login(client_user)
    page = client.get(thread_url(conversation))
    assert re.search(r"Can you share a timeline\?.*?>Read<", page.text, re.S)
    # and the freelancer sees no receipt under a message that is not theirs
    client.force_login(freelancer)
    assert ">Read<" not in client.get(thread_url(conversation)).text


def test_unread_counts_show_in_the_nav_and_inbox_and_clear_on_opening(client, conversation, client_user, freelancer):
    # given two messages from the freelancer, one from the client
    message_send(conversation=conversation, sender=freelancer, body="First")
    message_send(conversation=conversation, sender=freelancer, body="Second")
    message_send(conversation=conversation, sender=client_user, body="Mine")
    # then replying counts as reading for the client, and the freelancer has the reply unread
    assert selectors.conversation_unread_total(client_user) == 0
    assert selectors.conversation_unread_total(freelancer) == 1
    message_send(conversation=conversation, sender=freelancer, body="Third")
    message_send(conversation=conversation, sender=freelancer, body="Fourth")
    # when the client looks at the inbox
    client.force_login(client_user)
    inbox = client.get(reverse("conversation_list"))
    # then the nav and the conversation both show two unread
    assert 'aria-label="2 unread messages"' in inbox.text
    assert 'aria-label="2 unread"' in inbox.text
    assert "Proposal: Clinic booking app" in inbox.text and freelancer.display_name in inbox.text
    # when they open the conversation, the count clears
    page = client.get(thread_url(conversation))
    assert "unread messages" not in page.text
    assert selectors.conversation_unread_total(client_user) == 0
    assert 'aria-label="2 unread"' not in client.get(reverse("conversation_list")).text


def test_mark_read_is_only_for_participants(conversation):
    with pytest.raises(DomainError):
        conversation_mark_read(conversation=conversation, user=UserFactory())


def test_the_inbox_is_newest_first_and_has_an_empty_state(client, client_user, freelancer):
    client.force_login(client_user)
    assert "No conversations yet" in client.get(reverse("conversation_list")).text
    older = conversation_for_topic(
        topic_type="proposal", topic_id=1, title="Older talk", participants=[client_user, freelancer]
    )
    newer = conversation_for_topic(
        topic_type="proposal", topic_id=2, title="Newer talk", participants=[client_user, freelancer]
    )
    message_send(conversation=newer, sender=freelancer, body="one")
    message_send(conversation=older, sender=freelancer, body="two")  # most recent activity
    text = client.get(reverse("conversation_list")).text
    assert text.index("Older talk") < text.index("Newer talk")


def test_the_inbox_lists_threads_with_messages_and_an_empty_one_is_still_readable_by_id(
    client, client_user, freelancer
):
    # given two proposals' conversations, one of them written in
    quiet = conversation_for_topic(
        topic_type="proposal", topic_id=1, title="Quiet proposal", participants=[client_user, freelancer]
    )
    talked = conversation_for_topic(
        topic_type="proposal", topic_id=2, title="Talked proposal", participants=[client_user, freelancer]
    )
    message_send(conversation=talked, sender=freelancer, body="When can we talk?")
    # then the inbox, on the page and in the API, lists only the one with a message
    client.force_login(client_user)
    inbox = client.get(reverse("conversation_list")).text
    assert "Talked proposal" in inbox and "Quiet proposal" not in inbox
    api = APIClient()
    api.force_authenticate(client_user)
    assert [row["title"] for row in api.get("/api/v1/conversations/").json()["results"]] == ["Talked proposal"]
    # and the quiet one can still be opened and written in
    assert api.get(f"/api/v1/conversations/{quiet.pk}/").status_code == 200
    assert client.get(thread_url(quiet)).status_code == 200


def test_times_show_in_the_viewers_timezone(client, conversation, client_user, freelancer):
    message_send(conversation=conversation, sender=freelancer, body="Morning!")
    client_user.timezone = "Asia/Tokyo"
    client_user.save()
    client.force_login(client_user)
    assert " JST" in client.get(thread_url(conversation)).text


# --- Flood control ----------------------------------------------------------------------------------


def test_the_21st_message_within_a_minute_is_refused_on_the_page(client, conversation, freelancer, frozen_rate_window):
    client.force_login(freelancer)
    for n in range(20):
        assert client.post(thread_url(conversation), {"body": f"Message {n}"}).status_code == 302
    response = client.post(thread_url(conversation), {"body": "One too many"})
    assert "You are sending messages too quickly. Wait a minute and try again." in response.text
    assert "One too many" in response.text  # the text is kept in the box to send later
    assert Message.objects.count() == 20
    assert not Message.objects.filter(body="One too many").exists()


def test_the_21st_message_within_a_minute_gets_429_from_the_api(api, conversation, freelancer, frozen_rate_window):
    api.force_authenticate(freelancer)
    url = f"/api/v1/conversations/{conversation.pk}/messages/"
    for n in range(20):
        assert api.post(url, {"body": f"Message {n}"}, format="json").status_code == 201
    response = api.post(url, {"body": "One too many"}, format="json")
    assert response.status_code == 429
    assert "too quickly" in response.json()["detail"]
    assert Message.objects.count() == 20


def test_the_service_raises_rate_limited(conversation, freelancer, settings, frozen_rate_window):
    settings.MESSAGE_RATE_LIMIT = 2
    message_send(conversation=conversation, sender=freelancer, body="1")
    message_send(conversation=conversation, sender=freelancer, body="2")
    with pytest.raises(RateLimited):
        message_send(conversation=conversation, sender=freelancer, body="3")


# --- Conversations per topic ------------------------------------------------------------------------


def test_conversation_for_topic_is_idempotent_and_adds_missing_people(client_user, freelancer):
    first = conversation_for_topic(topic_type="contract", topic_id=7, title="Contract 7", participants=[client_user])
    again = conversation_for_topic(
        topic_type="contract", topic_id=7, title="Another title", participants=[client_user, freelancer, freelancer]
    )
    assert again.pk == first.pk
    assert Conversation.objects.count() == 1
    assert again.title == "Contract 7"
    assert set(Participant.objects.filter(conversation=first).values_list("user_id", flat=True)) == {
        client_user.pk,
        freelancer.pk,
    }
    # the same id under another topic type is another conversation
    other = conversation_for_topic(topic_type="proposal", topic_id=7, title="Proposal 7", participants=[client_user])
    assert other.pk != first.pk


def test_conversation_for_topic_recovers_when_another_request_created_it_first(monkeypatch, client_user):
    # given another request creates the conversation between our lookup and our insert
    existing = Conversation.objects.create(topic_type="proposal", topic_id=99, title="Made elsewhere")
    existing.topics.create(topic_type="proposal", topic_id=99)
    real_filter = Conversation.objects.filter
    calls = {"n": 0}

    def stale_first_lookup(*args, **kwargs):
        calls["n"] += 1
        queryset = real_filter(*args, **kwargs)
        return queryset.none() if calls["n"] == 1 else queryset

    monkeypatch.setattr(Conversation.objects, "filter", stale_first_lookup)
    # when we ask for it, the UNIQUE key refuses our insert and we use theirs
    conversation = conversation_for_topic(topic_type="proposal", topic_id=99, title="Mine", participants=[client_user])
    assert conversation.pk == existing.pk
    assert Conversation.objects.count() == 1


def test_the_conversation_page_links_to_its_registered_topic(client, conversation, client_user, monkeypatch):
    client.force_login(client_user)
    page = client.get(thread_url(conversation))
    assert "About:" not in page.text and "Proposal: Clinic booking app" in page.text
    monkeypatch.setattr(topics, "_RESOLVERS", {})
    register_topic("proposal", lambda pk: (f"Proposal #{pk}", f"/proposals/{pk}/"))
    page = client.get(thread_url(conversation))
    assert "About: Proposal #41" in visible_text(page.text)
    assert 'href="/proposals/41/"' in page.text


# --- htmx and the embeddable panel ------------------------------------------------------------------


def test_an_htmx_post_returns_the_thread_partial_with_the_new_message(client, conversation, freelancer):
    client.force_login(freelancer)
    response = client.post(thread_url(conversation), {"body": "Sent without a reload"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert f'id="thread-{conversation.pk}"' in response.text
    assert "Sent without a reload" in response.text
    assert '<textarea name="body"' in response.text and "Sent without a reload</textarea>" not in response.text


def test_an_htmx_post_with_an_error_shows_it_in_the_partial(client, conversation, freelancer):
    client.force_login(freelancer)
    response = client.post(thread_url(conversation), {"body": ""}, headers={"HX-Request": "true"})
    assert response.status_code == 200  # htmx only swaps successful responses
    assert "<html" not in response.text
    assert "Write a message or attach a file." in response.text


def test_the_page_has_no_inline_script_or_style(client, conversation, freelancer):
    message_send(conversation=conversation, sender=freelancer, body="<script>alert(1)</script>")
    client.force_login(freelancer)
    page = client.get(thread_url(conversation)).text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "style=" not in page
    assert not re.search(r"<script(?![^>]*\ssrc=)", page)
    assert re.search(r'<label for="[^"]+">Message:?</label>', page)
    assert re.search(r'<label for="[^"]+">Attach files:?</label>', page)
    assert re.search(r'<input type="file" name="files"[^>]* multiple', page)


def _render_panel(conversation, user) -> str:
    request = RequestFactory().get("/proposals/41/")
    request.user = user
    template = Template("{% load messaging_tags %}{% conversation_panel conversation user %}")
    return template.render(Context({"conversation": conversation, "user": user, "request": request}))


def test_the_conversation_panel_embeds_the_thread_for_participants_only(conversation, client_user, freelancer):
    message_send(conversation=conversation, sender=freelancer, body="Embedded hello")
    html = _render_panel(conversation, client_user)
    assert "Embedded hello" in html
    assert f'action="{thread_url(conversation)}"' in html
    assert 'name="next" value="/proposals/41/"' in html
    assert _render_panel(conversation, UserFactory()).strip() == ""
    assert _render_panel(None, client_user).strip() == ""


def test_a_post_from_an_embedded_panel_returns_to_that_page(client, conversation, freelancer):
    client.force_login(freelancer)
    response = client.post(thread_url(conversation), {"body": "From the proposal", "next": "/proposals/41/"})
    assert response["Location"].startswith("/proposals/41/#message-")
    evil = client.post(thread_url(conversation), {"body": "Again", "next": "https://evil.example.com/"})
    assert evil["Location"].startswith(thread_url(conversation))


# --- Query counts -----------------------------------------------------------------------------------


def test_the_thread_and_inbox_take_a_fixed_number_of_queries(conversation, client_user, freelancer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    topic_ids = iter(range(1000, 2000))

    def grow(count: int) -> None:
        for n in range(count):
            message_send(conversation=conversation, sender=freelancer, body=f"{n}", files=[pdf(f"{n}.pdf")])
            other = conversation_for_topic(
                topic_type="proposal", topic_id=next(topic_ids), title="x", participants=[client_user, UserFactory()]
            )
            message_send(conversation=other, sender=client_user, body="hi")

    def measure() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as thread:
            messages = selectors.messages_with_receipts(conversation, client_user)
            for message in messages:
                [(a.original_name, message.sender.display_name) for a in message.attachments.all()]
        with CaptureQueriesContext(connection) as inbox:
            for item in selectors.conversations_for_user(client_user):
                selectors.other_members(item, client_user)
        return len(thread), len(inbox)

    grow(1)
    small = measure()
    grow(4)
    assert measure() == small


# --- API --------------------------------------------------------------------------------------------


def test_the_api_lists_conversations_and_messages_and_posts(api, conversation, client_user, freelancer):
    message_send(conversation=conversation, sender=freelancer, body="Brief attached", files=[pdf()])
    api.force_authenticate(client_user)

    listed = api.get("/api/v1/conversations/").json()["results"]
    assert [(item["id"], item["unread_count"]) for item in listed] == [(conversation.pk, 1)]
    assert {person["display_name"] for person in listed[0]["participants"]} == {
        client_user.display_name,
        freelancer.display_name,
    }

    messages = api.get(f"/api/v1/conversations/{conversation.pk}/messages/").json()["results"]
    assert messages[0]["body"] == "Brief attached"
    assert messages[0]["is_mine"] is False
    assert messages[0]["sender"]["display_name"] == freelancer.display_name
    download = messages[0]["attachments"][0]
    assert download["name"] == "brief.pdf" and download["content_type"] == "application/pdf"
    file_response = api.get(download["download_url"])
    assert file_response.status_code == 200 and file_response["X-Content-Type-Options"] == "nosniff"

    # JSON post
    sent = api.post(f"/api/v1/conversations/{conversation.pk}/messages/", {"body": "Thanks!"}, format="json")
    assert sent.status_code == 201
    assert sent.json()["is_mine"] is True and sent.json()["read_by_other"] is False
    # multipart post with a file
    sent = api.post(
        f"/api/v1/conversations/{conversation.pk}/messages/",
        {"body": "", "files": [pdf("signed.pdf")]},
        format="multipart",
    )
    assert sent.status_code == 201
    assert [item["name"] for item in sent.json()["attachments"]] == ["signed.pdf"]

    # the freelancer reads; the client's messages now show as read
    api.force_authenticate(freelancer)
    assert api.get(f"/api/v1/conversations/{conversation.pk}/").json()["unread_count"] == 2
    assert api.post(f"/api/v1/conversations/{conversation.pk}/read/").json()["unread_count"] == 0
    api.force_authenticate(client_user)
    mine = [m for m in api.get(f"/api/v1/conversations/{conversation.pk}/messages/").json()["results"] if m["is_mine"]]
    assert len(mine) == 2 and all(m["read_by_other"] for m in mine)


def test_the_api_refuses_bad_messages_with_400(api, conversation, client_user):
    api.force_authenticate(client_user)
    url = f"/api/v1/conversations/{conversation.pk}/messages/"
    empty = api.post(url, {"body": "  "}, format="json")
    assert empty.status_code == 400 and "Write a message or attach a file." in str(empty.json())
    disguised = SimpleUploadedFile("x.pdf", HTML, content_type="application/pdf")
    refused = api.post(url, {"files": [disguised]}, format="multipart")
    assert refused.status_code == 400 and "files" in refused.json()
    assert api.get("/api/v1/conversations/abc/").status_code == 404
    assert not Message.objects.exists()
