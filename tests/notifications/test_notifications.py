from datetime import UTC

import pytest
from django.urls import reverse

from notifications.models import Notification
from notifications.services import notification_preferences_update, notify
from notifications.tasks import send_notification_email
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_email_goes_out_only_after_commit(mailoutbox, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(recipient=user, kind="account.welcome", title="Welcome", body="Hello", url="/welcome/")
    assert mailoutbox == []  # nothing is sent while the transaction is open
    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "[Proofwork] Welcome"
    assert "http://127.0.0.1:8000/welcome/" in mailoutbox[0].body


def test_a_rolled_back_notification_sends_nothing(mailoutbox, django_capture_on_commit_callbacks):
    from django.db import transaction

    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                notify(recipient=user, kind="account.welcome", title="Welcome")
                raise RuntimeError("boom")
        except RuntimeError:
            pass
    assert mailoutbox == []
    assert not Notification.objects.filter(recipient=user).exists()


def test_opting_out_keeps_the_in_app_notification_but_sends_no_email(mailoutbox, django_capture_on_commit_callbacks):
    user = UserFactory()
    notification_preferences_update(user=user, email_kinds=set())
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=user, kind="account.welcome", title="Welcome")
    assert mailoutbox == []
    assert Notification.objects.filter(recipient=user, title="Welcome").exists()


def test_account_standing_always_emails_even_when_everything_is_off(mailoutbox, django_capture_on_commit_callbacks):
    user = UserFactory()
    notification_preferences_update(user=user, email_kinds=set())
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=user, kind="account.suspended", title="Suspended")
    assert len(mailoutbox) == 1


def test_running_the_email_task_twice_sends_one_email(mailoutbox):
    notification = Notification.objects.create(recipient=UserFactory(), kind="account.welcome", title="Hi")
    send_notification_email.delay(notification.pk)
    send_notification_email.delay(notification.pk)
    assert len(mailoutbox) == 1


def test_a_failed_send_releases_the_claim_for_the_retry(monkeypatch, mailoutbox):
    from notifications import tasks

    notification = Notification.objects.create(recipient=UserFactory(), kind="account.welcome", title="Hi")

    def broken(**kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr(tasks, "send_mail", broken)
    with pytest.raises(OSError):
        send_notification_email.apply(args=[notification.pk], throw=True, retries=5)
    notification.refresh_from_db()
    assert notification.emailed_at is None


def test_unknown_kinds_and_outside_links_are_refused():
    user = UserFactory()
    with pytest.raises(ValueError):
        notify(recipient=user, kind="no.such.kind", title="x")
    with pytest.raises(ValueError):
        notify(recipient=user, kind="account.welcome", title="x", url="https://evil.example.com/")


def test_list_shows_unread_count_and_mark_all_read(client):
    user = UserFactory()
    for n in range(3):
        Notification.objects.create(recipient=user, kind="account.welcome", title=f"Note {n}")
    client.force_login(user)
    page = client.get(reverse("notification_list"))
    assert "Note 2" in page.text and 'aria-label="3 unread"' in page.text
    client.post(reverse("notification_mark_all"))
    page = client.get(reverse("notification_list"))
    assert "unread" not in page.text.split("<main", 1)[0]
    assert Notification.objects.filter(recipient=user, read_at__isnull=True).count() == 0


def test_opening_a_notification_marks_it_read_and_follows_its_link(client):
    user = UserFactory()
    notification = Notification.objects.create(recipient=user, kind="account.welcome", title="Hi", url="/settings/")
    client.force_login(user)
    response = client.post(reverse("notification_open", args=[notification.pk]), {"go": "1"})
    assert response["Location"] == "/settings/"
    notification.refresh_from_db()
    assert notification.is_read


def test_htmx_mark_read_returns_the_updated_item(client):
    user = UserFactory()
    notification = Notification.objects.create(recipient=user, kind="account.welcome", title="Hi")
    client.force_login(user)
    response = client.post(reverse("notification_open", args=[notification.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Mark as read" not in response.text and "read" in response.text


def test_someone_elses_notification_is_not_found(client):
    notification = Notification.objects.create(recipient=UserFactory(), kind="account.welcome", title="Private")
    client.force_login(UserFactory())
    assert client.post(reverse("notification_open", args=[notification.pk])).status_code == 404
    assert client.get(f"/api/v1/notifications/{notification.pk}/").status_code == 404
    notification.refresh_from_db()
    assert not notification.is_read


def test_preferences_page_saves_choices(client, mailoutbox, django_capture_on_commit_callbacks):
    user = UserFactory()
    client.force_login(user)
    page = client.get(reverse("notification_preferences"))
    assert "Welcome and getting started" in page.text
    client.post(reverse("notification_preferences"), {})  # every box unticked
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=user, kind="account.welcome", title="Welcome")
    assert mailoutbox == []


def test_api_lists_own_notifications_and_marks_read(client):
    user = UserFactory()
    mine = Notification.objects.create(recipient=user, kind="account.welcome", title="Mine")
    Notification.objects.create(recipient=UserFactory(), kind="account.welcome", title="Theirs")
    client.force_login(user)
    data = client.get("/api/v1/notifications/").json()
    assert [item["title"] for item in data["results"]] == ["Mine"]
    response = client.post(f"/api/v1/notifications/{mine.pk}/read/")
    assert response.json()["is_read"] is True


def test_confirming_email_sends_a_welcome(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the confirmation email goes out after commit
        client.post(
            reverse("account_signup"),
            {"email": "fresh@example.com", "password1": "a-long-unusual-pass", "password2": "a-long-unusual-pass"},
        )
    link = next(word for word in mailoutbox[0].body.split() if "/accounts/confirm-email/" in word)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link.split("testserver", 1)[1])
    assert Notification.objects.filter(recipient__email="fresh@example.com", kind="account.welcome").count() == 1
    assert any(m.subject == "[Proofwork] Welcome to Proofwork" for m in mailoutbox)


def test_purge_drops_old_read_notifications_and_keeps_unread(settings):
    from datetime import timedelta

    from django.utils import timezone

    from notifications.tasks import purge_old_notifications

    user = UserFactory()
    old = timezone.now() - settings.PROOFWORK_NOTIFICATION_RETENTION - timedelta(days=1)
    Notification.objects.create(recipient=user, kind="account.welcome", title="old read", created_at=old, read_at=old)
    Notification.objects.create(recipient=user, kind="account.welcome", title="old unread", created_at=old)
    Notification.objects.create(recipient=user, kind="account.welcome", title="new read", read_at=timezone.now())
    assert purge_old_notifications.delay().get() == 1
    assert purge_old_notifications.delay().get() == 0
    assert set(Notification.objects.values_list("title", flat=True)) == {"old unread", "new read"}


def test_changing_the_password_emails_a_security_notice(client, mailoutbox, django_capture_on_commit_callbacks):
    from tests.factories import PASSWORD

    user = UserFactory()
    notification_preferences_update(user=user, email_kinds=set())  # cannot switch security notices off
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_change_password"),
            {"oldpassword": PASSWORD, "password1": "another-long-passphrase", "password2": "another-long-passphrase"},
        )
    assert response.status_code == 302
    assert any(m.subject == "[Proofwork] Your password was changed" and m.to == [user.email] for m in mailoutbox)


def test_notification_times_show_in_the_viewers_timezone(client):
    from datetime import datetime

    user = UserFactory(timezone="Asia/Kolkata")
    Notification.objects.create(
        recipient=user,
        kind="account.welcome",
        title="Hi",
        created_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    )
    client.force_login(user)
    assert "1 Mar 2026, 17:30 IST" in client.get(reverse("notification_list")).text
