"""The dashboard in a real browser (headless Chromium): Chart.js, served from our static files,
draws every chart under the Content-Security-Policy. Skipped, with the reason, where the
browser cannot be installed or started (see tests/test_admin_browser.py)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from dashboard import services
from messaging.models import Message
from tests.support.people import make_contact, plan
from tests.test_admin_browser import browser, log_in

__all__ = ["browser"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_dashboard_draws_its_charts_in_a_browser(browser: Any, live_server: Any) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    from reminders import services as reminder_services

    user = User.objects.create_user("olga", "olga@example.org", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="operators"))
    for _ in range(3):
        Message.objects.create(
            direction="in", language="nl", state="handled", body="qwerty", note="not understood: menu"
        )
    person = make_contact(phone_number="+32470000001", reminder_times=["17:00"], time_zone="Europe/Brussels")
    reminder_services.plan_reschedule(plan(person))
    services.daily_counts_refresh()

    log_in(browser, live_server.url, "olga")
    browser.get(f"{live_server.url}/admin/dashboard/dailycount/?days=7")
    WebDriverWait(browser, 15).until(lambda b: b.execute_script("return !!window.Chart"))
    drawn = browser.execute_script(
        "return [...document.querySelectorAll('canvas')].map(c => !!window.Chart.getChart(c));"
    )
    screenshot = os.environ.get("DASHBOARD_SCREENSHOT")
    if screenshot:
        browser.set_window_size(1366, 3000)
        browser.save_screenshot(screenshot)
    logged = browser.get_log("browser")
    errors = [e for e in logged if e.get("level") == "SEVERE" and "favicon.ico" not in e.get("message", "")]

    assert drawn and all(drawn), drawn
    assert errors == []
    assert "qwerty" in browser.page_source
