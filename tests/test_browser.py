"""One end-to-end run in headless Chromium against the real server: ask, see a cited Sweden paragraph, put it
in the drafting basket, export Markdown. Leaves a screenshot of the results page in test-artifacts/."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
# CI sets QA_REQUIRE_BROWSER=1: there a missing Chromium fails the test instead of skipping it.
REQUIRE_BROWSER = os.environ.get("QA_REQUIRE_BROWSER", "") not in ("", "0")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
# (interface language, question, how the citation of the Sweden paragraph starts, the basket's nav label)
CASES = [
    ("en", "Which state proposed a stepping-stone approach?", 'Sweden, "Unlocking disarmament diplomacy',
     "Drafting basket"),
    ("zh", "哪个国家提出了“垫脚石”办法？", "瑞典，《采取“垫脚石”办法开启裁军外交》", "摘录篮"),
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRE_BROWSER,
                       reason="needs Debian's chromium at /usr/bin/chromium (test.sh installs it)"),
]


@pytest.fixture(scope="module")
def chromium() -> Path:
    """The browser; when it is required and missing, the test fails here, before a server is started."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing and QA_REQUIRE_BROWSER is set: install Debian's chromium "
                    "(test.sh does when run as root).")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(engine) -> Iterator[str]:
    """`qa serve` as a real process on loopback, over the index the session built."""
    yield from serve(engine, "server.log")


@pytest.fixture(scope="module")
def statements_server(statements_engine) -> Iterator[str]:
    """`qa serve` over six 2021 General Assembly statements (English)."""
    yield from serve(statements_engine, "statements-server.log")


def serve(engine, log_name: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "QA_INDEX_DIR": str(engine.settings.index_dir),
           "QA_CORPUS_DIR": str(engine.settings.corpus_dir), "PYTHONPATH": str(PROJECT_ROOT)}
    log = (ARTIFACTS / log_name)
    ARTIFACTS.mkdir(exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from qa.cli.main import main; main()", "serve", "--host", "127.0.0.1",
             "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"qa serve exited with {proc.returncode}: {log.read_text()[-2000:]}")
                try:
                    if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"qa serve did not answer /healthz within 120 s: {log.read_text()[-2000:]}")
                time.sleep(0.25)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def browser_page(chromium: Path, lang: str, width: int = 1280) -> Iterator[tuple[Any, list[str]]]:
    """A page of headless Chromium in the interface language's locale, `width` pixels wide, and the script errors
    it reports."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(chromium),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        try:
            context = browser.new_context(viewport={"width": width, "height": 1000}, accept_downloads=True,
                                          locale="zh-CN" if lang == "zh" else "en-US")
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            yield page, errors
        finally:
            browser.close()


@pytest.mark.parametrize("lang, question, cite_start, basket_label", CASES, ids=[c[0] for c in CASES])
def test_ask_cite_collect_and_export_in_a_real_browser(chromium, server, tmp_path, lang, question, cite_start,
                                                      basket_label):
    with browser_page(chromium, lang) as (page, errors):
        # Ask through the form, as a reader would.
        page.goto(server + "/")
        page.fill("#q", question)
        page.press("#q", "Enter")
        page.wait_for_selector("#results-h")
        assert page.locator(".not-covered").count() == 0, (
            "the engine judged the question not covered, so its passages are folded away as non-answers")
        first = page.locator("article.card").first
        assert first.get_attribute("data-citation-en").startswith("Sweden, ")
        assert first.locator("mark").inner_text().strip()
        cite = first.locator(".cite-text").inner_text()
        assert cite.startswith(cite_start)
        page.screenshot(path=str(ARTIFACTS / f"results-{lang}.png"), full_page=False)

        # Into the basket; it survives a reload.
        first.locator("button[data-action=add]").click()
        page.wait_for_function("document.getElementById('basket-count').textContent === '1'")
        page.reload()
        assert page.locator("#basket-count").inner_text() == "1"
        assert first.locator("button[data-action=add]").get_attribute("aria-pressed") == "true"

        # Export Markdown from the basket page.
        page.click(f"nav >> text={basket_label}")
        page.wait_for_selector("#basket-list li")
        assert page.locator("#basket-list li").count() == 1
        with page.expect_download() as info:
            page.click("#export-md")
        path = tmp_path / "export.md"
        assert info.value.failure() is None, info.value.failure()
        info.value.save_as(path)
        md = path.read_text(encoding="utf-8")
        assert cite in md.replace("\\", "")
        assert "> " in md
        page.wait_for_selector("#export-preview:not(:empty)")
        assert cite in page.locator("#export-preview").inner_text().replace("\\", "")
        page.screenshot(path=str(ARTIFACTS / f"basket-{lang}.png"), full_page=False)
        assert errors == []


@pytest.mark.parametrize("lang, topic, header", [("en", "the Treaty on the Prohibition of Nuclear Weapons", "Rank"),
                                                 ("zh", "《禁止核武器条约》", "排名")], ids=["en", "zh"])
def test_compare_parties_expand_one_and_export_the_table_in_a_real_browser(chromium, statements_server, tmp_path,
                                                                           lang, topic, header):
    with browser_page(chromium, lang) as (page, errors):
        page.goto(statements_server + f"/compare?lang={lang}")
        page.fill("#q", topic)
        page.press("#q", "Enter")
        page.wait_for_selector("ol.parties")
        parties = page.locator("ol.parties > li.party")
        assert parties.count() >= 4
        leaders = {parties.nth(i).get_attribute("data-speaker") for i in range(2)}
        assert leaders & ({"Austria", "Ireland"} if lang == "en" else {"奥地利", "爱尔兰"}), leaders
        page.screenshot(path=str(ARTIFACTS / f"compare-{lang}.png"), full_page=False)

        expandable = page.locator("ol.parties > li.party details.more").first
        assert expandable.count() == 1
        expandable.locator("summary").click()
        assert expandable.locator("article.card").first.is_visible()

        with page.expect_download() as info:
            page.click("a[data-export=csv]")
        path = tmp_path / "comparison.csv"
        assert info.value.failure() is None, info.value.failure()
        info.value.save_as(path)
        import csv
        import io

        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        assert rows[0][0] == header and len(rows) == parties.count() + 1
        addressed = [r for r in rows[1:] if r[2] in ("addressed", "论及")]
        assert addressed and all(r[6].startswith(statements_server + "/documents/") for r in addressed)
        assert all(r[6] == "" for r in rows[1:] if r not in addressed)  # no passage for a party that is silent
        assert errors == []


PHONE = 390  # CSS pixels: a common phone's width
PHONE_PAGES = ("/", "/compare?q=nuclear+disarmament", "/?q=nuclear+disarmament", "/documents")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pages_fit_a_phone_screen_without_scrolling_sideways(chromium, statements_server, lang):
    with browser_page(chromium, lang, width=PHONE) as (page, errors):
        for path in PHONE_PAGES:
            page.goto(statements_server + path + ("&" if "?" in path else "?") + f"lang={lang}")
            width = page.evaluate("document.documentElement.scrollWidth")
            name = path.strip("/").split("?")[0] or "ask"
            page.screenshot(path=str(ARTIFACTS / f"phone-{name}-{lang}.png"), full_page=False)
            assert width <= PHONE, f"{path} is {width}px wide on a {PHONE}px screen"
        table = page.locator(".table-wrap")
        assert table.evaluate("e => getComputedStyle(e).overflowX") == "auto"
        assert errors == []


def test_basket_marks_an_english_passage_as_english(chromium, statements_server):
    with browser_page(chromium, "zh") as (page, errors):
        page.goto(statements_server + "/?lang=zh&q=" + "Which country will host the first meeting of the parties to "
                  "the treaty banning nuclear weapons?".replace(" ", "+"))
        first = page.locator("article.card").first
        assert first.locator("blockquote.text").get_attribute("lang") == "en"
        first.locator("button[data-action=add]").click()
        page.goto(statements_server + "/basket")
        page.wait_for_selector("#basket-list li")
        assert page.locator("#basket-list .b-text").first.get_attribute("lang") == "en"
        with page.expect_download() as info:
            page.click("#export-md")
        assert info.value.suggested_filename == "passages.md"  # not npt-passages.md, whatever the corpus
        assert errors == []


def test_the_party_filter_suggests_a_further_party_after_the_ones_typed(chromium, statements_server):
    with browser_page(chromium, "en") as (page, errors):
        page.goto(statements_server + "/compare?lang=en")
        page.locator("details.filters summary").click()  # the filters start folded
        box = page.locator("input[name=state]").first
        box.fill("Ireland, Aus")  # fill fires the input event, as typing does
        values = page.locator("#state-choices option").evaluate_all("os => os.map(o => o.value)")
        assert "Ireland, Austria" in values and all(v.startswith("Ireland, ") for v in values)
        box.fill("Fij")
        values = page.locator("#state-choices option").evaluate_all("os => os.map(o => o.value)")
        assert "Fiji" in values and not any(v.startswith("Ireland, ") for v in values)
        assert errors == []
