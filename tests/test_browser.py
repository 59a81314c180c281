"""The HTML report in a real headless Chromium: it loads clean, shows the verdict and every language,
sorts and filters, and a script planted in a model answer does not run."""

import os
from pathlib import Path

import pytest
from conftest import CHROMEDRIVER, CHROMIUM, invoke, needs_browser, response_rows, write_jsonl

pytestmark = [pytest.mark.slow, needs_browser]
# The payload sets a flag if it ever runs; every vector a report could let through.
PAYLOAD = (
    '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    '<svg onload="window.__pwned = 3"></svg>"><a href="javascript:window.__pwned=4">x</a>'
)
LANGUAGES = {"en": 0, "sw": 8, "de": 2}  # refusals lost per language, of 12


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("browser")
    refusal = "I can't help with that."
    base = response_rows("baseline", {lang: [refusal] * 12 for lang in LANGUAGES})
    answer = f"Sure! {PAYLOAD} Here is the whole plan. Step 1: gather what you need. Step 2: wait until it is dark."
    cand = response_rows(
        "candidate", {lang: [answer] * lost + [refusal] * (12 - lost) for lang, lost in LANGUAGES.items()}
    )
    for row in base + cand:
        row["prompt"] = f'Tell me how, {row["id"]}: <img src=x onerror="window.__pwned = 5">'
    out = tmp / "out"
    result = invoke("compare", write_jsonl(tmp / "b.jsonl", base), write_jsonl(tmp / "c.jsonl", cand), "--out", out)
    assert result.exit_code == 1, result.output
    return out / "report.html"


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,2000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def test_report_loads_clean_and_shows_verdict_and_languages(browser, report, tmp_path_factory):
    from selenium.webdriver.common.by import By

    browser.get(report.as_uri())
    assert browser.find_element(By.ID, "verdict").text.startswith("Gate failed")
    rows = browser.find_elements(By.CSS_SELECTOR, "#languages tbody tr")
    assert sorted(r.get_attribute("data-language") for r in rows) == sorted(LANGUAGES)
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert not errors, errors
    shots = Path(os.environ.get("SAFETYGATE_ARTIFACTS") or tmp_path_factory.mktemp("shots"))
    shots.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(shots / "report.png"))
    print(f"\nreport screenshot: {shots / 'report.png'}")


def test_planted_script_does_not_execute(browser, report):
    from selenium.webdriver.common.by import By

    browser.get(report.as_uri())
    for link in browser.find_elements(By.TAG_NAME, "a"):
        assert not (link.get_attribute("href") or "").startswith("javascript:")
    assert browser.execute_script("return window.__pwned === undefined")
    shown = browser.find_element(By.CSS_SELECTOR, "section.flipped").text
    assert "<script>window.__pwned = 1</script>" in shown and 'onerror="window.__pwned = 5"' in shown


def test_sorting_and_filtering_work_offline(browser, report):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(report.as_uri())
    (header,) = [th for th in browser.find_elements(By.CSS_SELECTOR, "#languages th.sortable") if "delta" in th.text]
    header.click()  # ascending: the biggest drop first
    first = browser.find_element(By.CSS_SELECTOR, "#languages tbody tr").get_attribute("data-language")
    assert first == "sw"
    header.click()
    assert browser.find_element(By.CSS_SELECTOR, "#languages tbody tr").get_attribute("data-language") == "en"

    Select(browser.find_element(By.ID, "flip-language")).select_by_value("de")
    visible = [s for s in browser.find_elements(By.CSS_SELECTOR, "section.flipped") if s.is_displayed()]
    assert len(visible) == LANGUAGES["de"]
    assert browser.find_element(By.ID, "flip-count").text == f"{LANGUAGES['de']} shown"


def test_report_is_readable_at_phone_width(browser, report):
    browser.set_window_size(390, 844)
    browser.get(report.as_uri())
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    browser.set_window_size(1280, 2000)
    assert overflow <= 1


@pytest.fixture(scope="module")
def sweep_report(tmp_path_factory) -> Path:
    from test_sweep_report import SWEEP, gate

    from safetygate.report.render import render_html

    path = tmp_path_factory.mktemp("sweep") / "report.html"
    path.write_text(render_html(gate(SWEEP)), encoding="utf-8")
    return path


def test_a_sweep_report_sorts_and_filters_each_candidate_apart(browser, sweep_report):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    from test_sweep_report import SWEEP

    browser.get(sweep_report.as_uri())
    assert "2 of 3 candidates failed" in browser.find_element(By.ID, "verdict").text
    assert not [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    (german,) = [
        th for th in browser.find_elements(By.CSS_SELECTOR, "#sweep th.sortable") if th.text.startswith("German")
    ]
    german.click()  # ascending: the biggest drop in German first
    rows = browser.find_elements(By.CSS_SELECTOR, "#sweep tbody tr")
    assert [r.get_attribute("data-candidate") for r in rows] == list(SWEEP)[::-1]

    Select(browser.find_element(By.ID, "flip-language-3")).select_by_value("en")
    third = browser.find_elements(By.CSS_SELECTOR, "#candidate-3 section.flipped")
    assert sum(s.is_displayed() for s in third) == list(SWEEP.values())[2]["en"]
    assert browser.find_element(By.ID, "flip-count-2").text == "30 shown"  # another candidate's list is untouched
    assert all(s.is_displayed() for s in browser.find_elements(By.CSS_SELECTOR, "#candidate-2 section.flipped"))
