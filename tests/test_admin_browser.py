"""The review flow in a real browser: an editor drafts, a clinician previews and approves.

Needs Debian's chromium and chromium-driver (scripts/install-browser.sh installs them as
root; .ci/run calls it). Without them, or when Chromium cannot start, the test is skipped
with the reason.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from advice.models import TextDraft, Topic, TopicTranslation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NEW_TEXT = "Cramp? Stretch the muscle gently, then walk a few steps."


@pytest.fixture
def browser() -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install -r requirements-dev.txt)")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("Chromium or chromedriver is missing: run scripts/install-browser.sh as root (apt-get)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=en"]:
        options.add_argument(argument)
    try:
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    except Exception as error:
        pytest.skip(f"Chromium could not start: {error.__class__.__name__}: {str(error)[:200]}")
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def log_in(browser: Any, base: str, username: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.delete_all_cookies()
    browser.get(f"{base}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys("pw")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(browser, 15).until(lambda b: "/admin/login/" not in b.current_url)


def test_it_drafts_previews_and_publishes_through_the_admin(browser: Any, live_server: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    for name, group in [("erin", "editors"), ("claire", "clinicians")]:
        user = User.objects.create_user(name, f"{name}@example.org", "pw", is_staff=True)
        user.groups.add(Group.objects.get(name=group))
    topic = Topic.objects.get(slug="cramp")
    published = TopicTranslation.objects.get(topic=topic, language="en").sms_text

    log_in(browser, live_server.url, "erin")
    browser.get(f"{live_server.url}/admin/advice/topic/{topic.pk}/change/")
    prefix = browser.execute_script(
        "return [...document.querySelectorAll('select[name$=\"-language\"]')]"
        ".find(s => s.value === 'en').name.replace(/-language$/, '');"
    )
    area = browser.find_element(By.NAME, f"{prefix}-sms_text")
    area.clear()
    area.send_keys(NEW_TEXT)
    browser.find_element(By.NAME, "_continue").click()
    WebDriverWait(browser, 15).until(lambda b: "successfully" in b.page_source or "errornote" in b.page_source)
    errors = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".errorlist, .errornote")]
    assert "1 text saved as a draft" in browser.page_source, errors
    assert TextDraft.objects.filter(status=TextDraft.Status.PENDING).count() == 1
    assert TopicTranslation.objects.get(topic=topic, language="en").sms_text == published

    log_in(browser, live_server.url, "claire")
    browser.get(f"{live_server.url}/admin/advice/textdraft/")
    browser.get(browser.find_element(By.CSS_SELECTOR, "#result_list tbody th a").get_attribute("href"))
    assert "What a person receives" in browser.page_source
    assert NEW_TEXT in browser.page_source
    browser.find_element(By.NAME, "_approve").click()
    WebDriverWait(browser, 15).until(lambda b: "Published:" in b.page_source)

    assert "Published: the next message sends this text." in browser.page_source
    assert TopicTranslation.objects.get(topic=topic, language="en").sms_text == NEW_TEXT
    assert TextDraft.objects.get(translation__topic=topic, sms_text=NEW_TEXT).reviewer.username == "claire"
