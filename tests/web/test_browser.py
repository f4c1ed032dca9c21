"""Browser tests: Playwright driving Debian's chromium (never a downloaded browser).

search → subject page → download the report → verify it (and fail a tampered copy); a forged
badge; the console renders its charts with data and drills down; the language switch. Each
main page is saved to docs/screenshots/ for the README.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import uvicorn

from ecredit.privacy.keys import load_keyring
from ecredit.storage.database import connect, migrate
from ecredit.web.app import create_app
from ecredit.web.capabilities import Capabilities
from ecredit.web.queries.profile import today
from ecredit.web.snapshots import take
from tests.web.conftest import PASSWORD, ingest_world, make_accounts, web_settings
from tests.web.test_plugins import store_evaluation

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}


@dataclass
class Site:
    url: str
    tmp: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("browser")
    engine = connect(f"sqlite:///{tmp / 'ecredit.sqlite'}")
    migrate(engine)
    keys = load_keyring(tmp / "keys.json")
    ingest_world(engine, keys, tmp / "world")
    make_accounts(engine)
    store_evaluation(engine, "A", 712.5)
    take(engine, today().strftime("%Y-%m"), Capabilities(engine))
    port = free_port()
    settings = replace(web_settings(tmp), public_base_url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(engine, keys, settings), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield Site(f"http://127.0.0.1:{port}", tmp)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_search_subject_report_verify(site: Site, page) -> None:
    page.goto(site.url + "/")
    page.fill("#q", "贸易")
    page.wait_for_selector("#results a.hit")
    shot(page, "portal-search")
    page.click("#results a.hit")
    page.wait_for_selector("#ratings .stats")
    assert page.inner_text("#verification").startswith("✔")
    assert "守信" in page.inner_text("#evaluation")
    shot(page, "subject-page")
    page.click("#issue-report")
    page.wait_for_selector("#download-pdf")
    shot(page, "report-issued")
    with page.expect_download() as download:
        page.click("#download-pdf")
    pdf_path = site.tmp / "report.pdf"
    download.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    page.click("#verify-link")
    assert page.get_attribute("#verdict", "data-verdict") == "genuine_current"
    page.set_input_files("#verify-file", str(pdf_path))
    page.click("#verify-submit")
    page.wait_for_selector("#file-verdict")
    assert page.get_attribute("#file-verdict", "data-verdict") == "genuine_current"
    shot(page, "report-verified")
    pdf = pdf_path.read_bytes()
    middle = len(pdf) // 2
    tampered = site.tmp / "tampered.pdf"
    tampered.write_bytes(pdf[:middle] + bytes([pdf[middle] ^ 1]) + pdf[middle + 1 :])
    page.set_input_files("#verify-file", str(tampered))
    page.click("#verify-submit")
    page.wait_for_selector("#file-verdict")
    assert page.get_attribute("#file-verdict", "data-verdict") == "altered"
    shot(page, "report-tampered")


def test_forged_badge_is_shown_as_forged(site: Site, page) -> None:
    forged = "eyJiaWQiOiJCR0ZBS0UiLCJncmFkZSI6IkEiLCJuYW1lIjoi5p-Q5p-Q5YWs5Y-4In0.AAAA"
    page.goto(f"{site.url}/badge/{forged}")
    assert page.get_attribute("#badge-verdict", "data-status") == "forged"
    assert "伪造标识" in page.inner_text("#badge-verdict")
    shot(page, "badge-forged")


def test_language_switch(site: Site, page) -> None:
    page.goto(site.url + "/subjects/M1")
    assert page.get_attribute("html", "lang") == "zh-CN"
    page.click("#lang-switch")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "en"
    assert "Credit evaluation" in page.inner_text("#evaluation")
    page.goto(site.url + "/")
    assert "Credit disclosure and lookup" in page.inner_text("h1")
    page.click("#lang-switch")
    assert "信用信息公示与查询" in page.inner_text("h1")


def test_console_charts_render_with_data(site: Site, page) -> None:
    page.goto(site.url + "/console")
    page.fill("#username", "test-regulator")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/console")
    charts = page.locator(".chart")
    count = charts.count()
    assert count >= 8
    for i in range(count):
        chart = charts.nth(i)
        chart.locator("canvas").wait_for()
        page.wait_for_function(
            "el => el.dataset.rendered !== undefined", arg=chart.element_handle()
        )
    rendered = {
        charts.nth(i).get_attribute("data-indicator"): int(
            charts.nth(i).get_attribute("data-rendered")
        )
        for i in range(count)
    }
    assert rendered["subjects_by_type"] > 0 and rendered["dishonesty_records"] > 0
    assert rendered["grade_distribution"] > 0
    shot(page, "console-dashboard")
    point = page.evaluate(
        """() => {
          const el = document.getElementById('chart-subjects_by_type');
          const chart = echarts.getInstanceByDom(el);
          const data = chart.getOption().series[0].data;
          const [x, y] = chart.convertToPixel({seriesIndex: 0}, [data[0].value / 2, 0]);
          const box = el.getBoundingClientRect();
          return [box.left + x, box.top + y + window.scrollY];
        }"""
    )
    page.mouse.click(point[0], point[1] - page.evaluate("window.scrollY"))
    page.wait_for_selector("#drill-table")
    assert page.locator("#drill-table tbody tr").count() > 0


def test_subject_page_on_a_phone(site: Site, browser) -> None:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    phone = context.new_page()
    phone.goto(site.url + "/subjects/M1")
    phone.wait_for_selector("#ratings .stats")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the page scrolls sideways on a phone"
    shot(phone, "subject-page-phone")
    context.close()
