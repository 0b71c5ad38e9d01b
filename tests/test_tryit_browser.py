"""The try-it phone and the admin lists in a real browser (headless Chromium through Selenium).

Skipped, with the reason, where Chromium or chromedriver cannot be installed or started
(tests/support/browser.py). Screenshots go to
$TMPDIR/legcramps-screenshots/ (the path is printed) for a person to look at.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from contacts.models import Contact
from messaging.models import Message
from messaging.simulated import SIMULATED_SID_PREFIX, is_simulated_number
from tests.support.browser import chromium
from tests.test_admin_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCREENSHOTS = Path(tempfile.gettempdir()) / "legcramps-screenshots"
WIDE = (1366, 768)  # the commonest laptop screen


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium(width=WIDE[0], height=WIDE[1]) as driver:
        yield driver


def screenshot(browser: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    browser.save_screenshot(str(path))
    print(f"screenshot: {path}")
    return path


def text_and_wait(browser: Any, text: str) -> str:
    """Type a text on the phone, send it, and return the service's answer as the phone shows it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    before = len(browser.find_elements(By.CSS_SELECTOR, ".tryit-in"))
    field = browser.find_element(By.ID, "tryit-text")
    field.send_keys(text)
    field.send_keys(Keys.ENTER)
    WebDriverWait(browser, 20).until(lambda b: len(b.find_elements(By.CSS_SELECTOR, ".tryit-in")) > before)
    return str(browser.find_elements(By.CSS_SELECTOR, ".tryit-in .tryit-text")[-1].text)


def test_a_newcomer_texts_the_service_from_the_browser(browser: Any, live_server: Any, settings: Any) -> None:
    settings.TRY_IT_PUBLIC = True
    browser.set_window_size(*WIDE)
    browser.get(f"{live_server.url}/")  # the address ./run prints

    assert browser.current_url.endswith("/try/")
    cramp = text_and_wait(browser, "KRAMP")
    confirmation = text_and_wait(browser, "REMIND")
    french = text_and_wait(browser, "LANGUE FR")
    screenshot(browser, "tryit-public-phone")

    assert cramp.startswith("Kramp in uw been?")
    assert confirmation.startswith("Herinneringen ingeschakeld")
    assert "(Belgische tijd)" in confirmation
    assert "français" in french.lower() or "fran" in french.lower()
    inbound = Message.objects.filter(direction=Message.Direction.INBOUND)
    assert inbound.count() == 3
    assert all(row.params["Simulated"] == "try-it" and is_simulated_number(row.phone_number) for row in inbound)
    replies = Message.objects.filter(direction=Message.Direction.OUTBOUND)
    assert all(row.provider_sid.startswith(SIMULATED_SID_PREFIX) for row in replies)


def test_view_site_in_the_admin_opens_the_phone(browser: Any, live_server: Any) -> None:
    from selenium.webdriver.common.by import By

    User.objects.create_superuser("admin", "admin@example.org", "pw")
    browser.set_window_size(*WIDE)
    log_in(browser, live_server.url, "admin")
    browser.find_element(By.LINK_TEXT, "VIEW SITE").click()

    assert browser.current_url.endswith("/admin/try/")
    answer = text_and_wait(browser, "HELP")
    screenshot(browser, "tryit-admin-phone")
    assert answer


def _cut_columns(browser: Any) -> dict[str, int]:
    """How far the changelist's table reaches past what the screen shows (0: nothing cut)."""
    return dict(
        browser.execute_script(
            "const table = document.getElementById('result_list');"
            "const box = table.closest('.results') || table.parentElement;"
            "return {table: Math.max(0, table.scrollWidth - box.clientWidth),"
            " page: Math.max(0, document.documentElement.scrollWidth - window.innerWidth)};"
        )
    )


def test_the_admin_lists_fit_a_1366_pixel_screen(browser: Any, live_server: Any) -> None:
    from tryit import services

    User.objects.create_superuser("admin", "admin@example.org", "pw")
    for text in ["KRAMP", "REMIND 8:30 20 Uhr", "crampes la nuit, que faire ?", "TAAL DE"]:
        services.sms_try(sender="+32400000123", text=text)
    assert Contact.objects.exists()
    browser.set_window_size(*WIDE)
    log_in(browser, live_server.url, "admin")

    cut = {}
    for name, path in [
        ("contacts", "/admin/contacts/contact/"),
        ("messages", "/admin/messaging/message/"),
        ("topics", "/admin/advice/topic/"),
    ]:
        browser.get(f"{live_server.url}{path}")
        screenshot(browser, f"admin-{name}-1366")
        cut[name] = _cut_columns(browser)

    assert cut == {name: {"table": 0, "page": 0} for name in cut}
