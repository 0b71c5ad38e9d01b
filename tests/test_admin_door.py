"""The admin's door: throttled logins, two-factor authentication, its own URL and processes,
security headers everywhere, a clean `check --deploy`, and no personal data for content editors."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import reload
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.test import Client, override_settings
from django.urls import clear_url_caches
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from contacts.models import Contact
from messaging.models import Message

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/?next=/admin/"


def sign_in(client: Client, username: str, password: str, address: str = "10.0.0.1", **extra: str) -> Any:
    return client.post(LOGIN, {"username": username, "password": password, **extra}, REMOTE_ADDR=address)


@pytest.fixture
def admins() -> dict[str, User]:
    return {
        "alice": User.objects.create_user("alice", password="right-password-1", is_staff=True),
        "bob": User.objects.create_user("bob", password="right-password-2", is_staff=True),
    }


def test_it_locks_an_account_after_5_failures_with_a_429_and_a_clear_message(admins: dict[str, User]) -> None:
    client = Client()
    answers = [sign_in(client, "alice", "wrong", address="10.0.0.1").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]  # the fifth failure locks

    locked = sign_in(client, "alice", "right-password-1", address="10.0.0.2")  # another address: the account

    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert AccessAttempt.objects.filter(username="alice").exists()  # in the database: every process sees it


def test_it_locks_an_address_after_5_failures_whatever_the_account(admins: dict[str, User]) -> None:
    client = Client()
    for index in range(5):
        sign_in(client, f"guess{index}", "wrong", address="10.0.0.9")

    assert sign_in(client, "bob", "right-password-2", address="10.0.0.9").status_code == 429
    assert sign_in(Client(), "bob", "right-password-2", address="10.0.0.3").status_code == 302


def test_the_address_comes_from_the_proxy_header_when_configured(admins: dict[str, User], settings: Any) -> None:
    settings.ADMIN_CLIENT_IP_HEADER = "X-Forwarded-For"
    client = Client()
    for _ in range(5):
        client.post(
            LOGIN, {"username": "x", "password": "y"}, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8"
        )
    other = Client().post(
        LOGIN,
        {"username": "bob", "password": "right-password-2"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="9.9.9.9",
    )
    assert other.status_code == 302  # same proxy, another client: not locked


def test_a_staff_user_with_an_authenticator_needs_its_code(admins: dict[str, User]) -> None:
    device = TOTPDevice.objects.create(user=admins["alice"], name="phone", confirmed=True)

    without = sign_in(Client(), "alice", "right-password-1")
    code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    client = Client()
    with_code = sign_in(client, "alice", "right-password-1", otp_device=device.persistent_id, otp_token=f"{code:06d}")

    assert without.status_code == 200 and "otp_token" in without.content.decode()
    assert with_code.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_without_an_authenticator_staff_sign_in_with_a_password(admins: dict[str, User]) -> None:
    client = Client()
    assert sign_in(client, "bob", "right-password-2").status_code == 302
    assert client.get("/admin/").status_code == 200


def test_superusers_need_an_authenticator_when_2fa_is_required(settings: Any) -> None:
    settings.ADMIN_REQUIRE_2FA = True
    User.objects.create_superuser("root", "root@example.org", "right-password-3")

    refused = sign_in(Client(), "root", "right-password-3")
    logged_in_before = Client()
    logged_in_before.force_login(User.objects.get(username="root"))

    assert refused.status_code == 200 and "authenticator app" in refused.content.decode()
    assert logged_in_before.get("/admin/").status_code == 302  # a session without a second factor is sent to sign in


def test_the_admin_2fa_command_gives_a_set_up_link(admins: dict[str, User]) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("admin_2fa", "alice", stdout=out)

    assert "otpauth://totp/" in out.getvalue()
    assert TOTPDevice.objects.filter(user=admins["alice"], confirmed=True).count() == 1


def reload_urls() -> None:
    import project.urls

    reload(project.urls)
    clear_url_caches()


def test_the_admin_can_move_and_be_switched_off(client: Client) -> None:
    try:
        with override_settings(ADMIN_URL="/back-office/"):
            reload_urls()
            assert client.get("/back-office/login/").status_code == 200
            assert client.get("/admin/login/").status_code == 404
        with override_settings(ADMIN_ENABLED=False):
            reload_urls()
            assert client.get("/admin/login/").status_code == 404
            assert client.get("/health/").status_code == 200
    finally:
        reload_urls()
    assert client.get("/admin/login/").status_code == 200


def test_pages_and_static_files_carry_the_security_headers(client: Client) -> None:
    page = client.get("/admin/login/")
    static = client.get("/static/admin/css/base.css")

    for response in (page, static):
        assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
    assert static.status_code == 200


def test_plain_http_is_redirected_except_webhooks_and_health(client: Client, settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/admin/login/").status_code == 301
    assert client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 301  # header not trusted
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert client.get("/health/").status_code == 200


PRODUCTION = {
    "DJANGO_SECRET_KEY": "a-production-secret-key-with-enough-length-and-variety-1234567890!",
    "DJANGO_ALLOWED_HOSTS": "cramps.example.org",
    "PUBLIC_BASE_URL": "https://cramps.example.org",
    "DATABASE_URL": "postgres://cramps@db.example.org/cramps",
    "REDIS_URL": "redis://redis.example.org:6379/0",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "production-token",
    "TWILIO_FROM_NUMBER": "+3225550100",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "1",
    "SUPPRESSION_HMAC_KEY": "a-production-suppression-key",
}


def test_check_deploy_is_clean_with_the_production_environment() -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "TWILIO_", "SMS_", "SUPPRESSION_"))
    }
    env.update(PRODUCTION, DJANGO_SETTINGS_MODULE="project.settings")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.fixture
def content_editor() -> Client:
    editor = User.objects.create_user("editor", password="pw", is_staff=True)
    for codename in ("view_message", "view_contact", "change_contact", "change_topic", "view_topic"):
        editor.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(editor)
    return client


@pytest.fixture
def operator() -> Client:
    user = User.objects.create_user("operator", password="pw", is_staff=True)
    for codename in ("view_message", "view_contact", "view_personal_data"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(user)
    return client


def test_content_editors_see_no_number_and_no_text(content_editor: Client, operator: Client, text: Any) -> None:
    text("ik heb kramp in mijn kuit vannacht", sender="+32470123456")
    contact = Contact.objects.get(phone_number="+32470123456")
    inbound = Message.objects.get(direction=Message.Direction.INBOUND)
    pages = [
        "/admin/messaging/message/",
        f"/admin/messaging/message/{inbound.pk}/change/",
        "/admin/contacts/contact/",
        f"/admin/contacts/contact/{contact.pk}/change/",
        "/admin/messaging/message/?q=kramp",
    ]
    for url in pages:
        page = content_editor.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert "470123456" not in html, url
        assert "kuit vannacht" not in html, url
    listing = content_editor.get("/admin/contacts/contact/").content.decode()
    assert "+32470***456" in listing
    assert 'id="searchbar"' not in listing  # no search by number: it would tell who is a contact
    # Operators hold the permission and see both.
    assert "+32470123456" in operator.get("/admin/contacts/contact/").content.decode()
    assert "kuit vannacht" in operator.get(f"/admin/messaging/message/{inbound.pk}/change/").content.decode()
