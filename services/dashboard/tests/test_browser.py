"""The page in headless Chromium (Debian's package) against the running system.

Nothing is reloaded during a test: a marker set on `window` at the start must still be there
at the end, so every change seen came through the live event stream. Screenshots go to
test-artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from mes_dashboard.testing import RunningSystem
from mes_orders.testing import order_body

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
LIVE = 30_000  # ms: an event's way through the services, the stream and a panel refresh


def _install_chromium() -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
    for command in (install, ["apt-get", "update"], install):
        try:
            subprocess.run(command, env=env, check=True, capture_output=True, timeout=900)
        except (OSError, subprocess.SubprocessError):
            continue
        if CHROMIUM.exists():
            return


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists() and shutil.which("apt-get"):
        _install_chromium()
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed and `apt-get install chromium` failed")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def page(browser: Browser, system: RunningSystem) -> AsyncIterator[Page]:
    page = await browser.new_page(viewport={"width": 1400, "height": 1300})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(system.dashboard)
    await expect(page.get_by_test_id("stream-state")).to_have_text("live", timeout=LIVE)
    await page.evaluate("window.__notReloaded = true")
    yield page
    assert await page.evaluate("window.__notReloaded === true"), "the page was reloaded"
    assert errors == [], errors
    await page.close()


async def post_order(system: RunningSystem, **fields: object) -> str:
    """A new order through the orders API (as the ERP posts it); its id."""
    body = order_body(f"ERP-{uuid.uuid4().hex[:8]}", **fields)
    async with httpx.AsyncClient(base_url=system.urls["orders"], timeout=10) as client:
        response = await client.post("/orders", json=body)
    assert response.status_code == 201, response.text
    order_id: str = response.json()["order_id"]
    return order_id


async def scheduler_post(system: RunningSystem, path: str, body: dict[str, object]) -> None:
    async with httpx.AsyncClient(base_url=system.urls["scheduler"], timeout=10) as client:
        response = await client.post(path, json=body)
    assert response.is_success, response.text


async def test_panels_follow_orders_and_inventory_live(page: Page, system: RunningSystem) -> None:
    material = f"UNOBTAINIUM-{uuid.uuid4().hex[:6]}"
    order_id = await post_order(
        system,
        materials=[{"material_id": material, "quantity_per_unit": "2", "operation_seq": 10}],
    )
    # The order's arrival in the feed, and the shortage inventory found for it.
    received = '[data-type="orders.OrderReceived"]'
    feed_item = page.locator(f'#feed li[data-subject="{order_id}"]{received}')
    await expect(feed_item).to_have_count(1, timeout=LIVE)
    shortage = page.locator(f'#shortages tr[data-order-id="{order_id}"]')
    await expect(shortage).to_contain_text(material, timeout=LIVE)
    await expect(page.locator('#services [data-service="orders"]')).to_have_class("up")
    if not system.running("scheduler"):
        gantt_note = page.locator("#gantt ~ .unavailable")
        await expect(gantt_note).to_have_text("scheduler service unavailable")
    await page.screenshot(path=str(ARTIFACTS / "dashboard-orders-inventory.png"), full_page=True)


async def test_the_gantt_follows_the_plan_live(page: Page, system: RunningSystem) -> None:
    if not system.running("scheduler"):
        pytest.skip("waits for the scheduler service (GET /schedule, ScheduleRevised)")
    suffix = uuid.uuid4().hex[:4].upper()
    saw, cnc = f"SAW-{suffix}", f"CNC-{suffix}"
    await scheduler_post(system, "/work-centers", {"id": saw, "group": "SAW", "name": saw})
    await scheduler_post(system, "/work-centers", {"id": cnc, "group": "CNC", "name": cnc})
    gantt = page.get_by_test_id("gantt")

    order_id = await post_order(system)
    shown = re.compile(re.escape(order_id))
    await expect(gantt).to_have_attribute("data-orders", shown, timeout=LIVE)
    await expect(gantt).to_have_attribute("data-state", "loaded")
    assert int(await gantt.get_attribute("data-bars") or 0) >= 2  # cut on a saw, mill on a CNC

    await scheduler_post(system, f"/work-centers/{cnc}/down", {"reason": "spindle"})
    await expect(gantt).to_have_attribute("data-downtime", re.compile(re.escape(cnc)), timeout=LIVE)
    await page.screenshot(path=str(ARTIFACTS / "dashboard-gantt.png"), full_page=True)
