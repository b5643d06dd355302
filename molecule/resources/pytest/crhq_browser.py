# -*- coding: utf-8 -*-
"""A real browser for the app's tests: Debian's headless Chromium driven by Selenium and Debian's chromedriver,
run inside the helper container. Logs in with a password and a TOTP code like a person would, then reports
what the page and the browser saw as one JSON object and saves a screenshot.

    python3 crhq_browser.py --site crhq12.test --user henry --password-file /tmp/pw --totp-secret BASE32 \
        --screenshot /tmp/app.png

Chromium trusts the Pebble root through its NSS database (the test puts it there); nothing is ignored.
"""

import argparse
import json
import os
import sys

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crhq_webclient import totp  # noqa: E402  pylint: disable=wrong-import-position


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    # --no-sandbox: Chromium's own sandbox needs user namespaces, which the test container does not have
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,900",
                     "--disable-gpu", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def submit(driver, fields):
    for name, value in fields.items():
        element = driver.find_element(By.NAME, name)
        element.clear()
        element.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password-file", required=True)
    parser.add_argument("--totp-secret", required=True)
    parser.add_argument("--screenshot", required=True)
    args = parser.parse_args(argv)
    with open(args.password_file, encoding="utf-8") as handle:
        password = handle.read().strip()

    base = "https://%s" % args.site
    driver = browser()
    result = {"steps": []}
    try:
        wait = WebDriverWait(driver, 20)
        driver.get(base + "/")
        wait.until(expected_conditions.url_contains("/login/"))
        result["steps"].append(driver.current_url)
        submit(driver, {"username": args.user, "password": password})
        wait.until(expected_conditions.url_contains("/login/verify/"))
        result["steps"].append(driver.current_url)
        submit(driver, {"code": totp(args.totp_secret)})
        try:
            wait.until(expected_conditions.url_to_be(base + "/"))
        except TimeoutException:
            pass
        result["steps"].append(driver.current_url)
        result.update({
            "url": driver.current_url,
            "title": driver.title,
            "text": driver.find_element(By.TAG_NAME, "body").text[:2000],
            "document_cookie": driver.execute_script("return document.cookie"),
            "cookies": [{k: c.get(k) for k in ("name", "secure", "httpOnly", "sameSite", "path", "domain")}
                        for c in driver.get_cookies()],
            "console": driver.get_log("browser"),
        })
        driver.save_screenshot(args.screenshot)
    finally:
        driver.quit()
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
