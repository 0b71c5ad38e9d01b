"""Headless Chromium through Selenium, for browser tests; skips the test, with the reason, where
Debian's chromium and chromium-driver are missing (scripts/install-browser.sh installs them)
or cannot start. Use: `with chromium() as driver: ...` inside a fixture."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


@contextmanager
def chromium(*, width: int = 1366, height: int = 768) -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install -r requirements-dev.txt)")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not binary or not driver_path:
        pytest.skip("Chromium or chromedriver is missing: run scripts/install-browser.sh as root (apt-get)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=en"]:
        options.add_argument(argument)
    options.add_argument(f"--window-size={width},{height}")
    try:
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    except Exception as error:
        pytest.skip(f"Chromium could not start: {error.__class__.__name__}: {str(error)[:200]}")
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
