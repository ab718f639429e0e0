#!/usr/bin/python3
"""Screenshots of a running `optlab serve` (headless Chromium, python3-selenium):
the overview, each named study's page and each named experiment's page
(experiment:NAME), as PNG files in OUT_DIR.

usage: scripts/serve-screenshots.py BASE_URL OUT_DIR [STUDY | experiment:NAME]...
(results/serve/ holds a set taken on the seed study; docs/serve.md)
"""
import os
import sys
import time
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

base, out, studies = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(out, exist_ok=True)  # save_screenshot writes nothing, and says only False, into a missing directory
opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,2000"]:
    opts.add_argument(a)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def settle(css, timeout=20):
    end = time.time() + timeout
    while time.time() < end and not driver.find_elements(By.CSS_SELECTOR, css):
        time.sleep(0.2)
    time.sleep(1.5)  # one more poll and the charts drawn


try:
    driver.get(base)
    settle("#studies tbody tr[data-study]")
    driver.save_screenshot(f"{out}/overview.png")
    print(f"{out}/overview.png")
    for s in studies:
        if s.startswith("experiment:"):
            name = s[len("experiment:"):]
            driver.get(base + "experiment?name=" + urllib.parse.quote(name, safe=""))
            settle("#comparison tbody tr")
            path = f"{out}/experiment-{name.replace('/', '-')}.png"
            driver.save_screenshot(path)
            print(path)
            continue
        driver.get(base + "study?name=" + urllib.parse.quote(s, safe=""))
        settle("#trials tbody tr")
        rows = driver.find_elements(By.CSS_SELECTOR, "#trials tbody tr")
        if rows:
            rows[0].click()
            time.sleep(0.5)
        path = f"{out}/study-{s.replace('/', '-')}.png"
        driver.save_screenshot(path)
        print(path)
finally:
    driver.quit()
