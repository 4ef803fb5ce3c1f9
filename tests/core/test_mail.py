"""`EMAIL_URL=file://` (what `make run` uses): each email is one file a person can read, its
headers and text decoded, with no log prefix and no quoted-printable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.core import mail
from django.core.mail import EmailMultiAlternatives

ROOT = Path(__file__).resolve().parents[2]


def test_each_email_is_one_readable_file(settings, tmp_path):
    settings.EMAIL_BACKEND = "core.mail.ReadableFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    # when two emails go out on one connection, one with an HTML part
    html = EmailMultiAlternatives(
        "New proposal on “Build a booking page”",
        "Priya Raman proposed $1,200 — read it:\nhttp://127.0.0.1:8000/proposals/7/",
        "Proofwork <no-reply@proofwork.local>",
        ["client@example.com"],
    )
    html.attach_alternative("<p>Priya Raman proposed</p>", "text/html")
    plain = mail.EmailMessage("Payment released", "€90.00 is on its way.", None, ["freelancer@example.com"])
    with mail.get_connection() as connection:
        assert connection.send_messages([html, plain]) == 2
    # then there is one file per email, each as a person reads it
    files = sorted(tmp_path.iterdir())
    assert len(files) == 2
    texts = {path.read_text(encoding="utf-8").splitlines()[0]: path.read_text(encoding="utf-8") for path in files}
    first = texts["Subject: New proposal on “Build a booking page”"]
    assert "To: client@example.com\n" in first
    assert "\n\nPriya Raman proposed $1,200 — read it:\nhttp://127.0.0.1:8000/proposals/7/\n" in first
    assert "[Also sent as text/html]" in first
    assert "€90.00 is on its way." in texts["Subject: Payment released"]
    for text in texts.values():
        assert "=E2" not in text and "Content-Transfer-Encoding" not in text and "WARNING" not in text


def test_a_file_email_url_uses_the_readable_backend():
    env = {key: os.environ[key] for key in ("PATH", "HOME", "TMPDIR") if key in os.environ}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="1", EMAIL_URL="file://", EMAIL_FILE_PATH="var/mail")
    code = "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_BACKEND)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "core.mail.ReadableFileBackend", result.stderr


def test_make_run_writes_emails_to_var_mail_and_says_so():
    script = (ROOT / "scripts" / "run.sh").read_text()
    assert "export EMAIL_URL=${EMAIL_URL:-file://}" in script
    assert "export EMAIL_FILE_PATH=${EMAIL_FILE_PATH:-var/mail}" in script
    assert "printed in this terminal" not in script
