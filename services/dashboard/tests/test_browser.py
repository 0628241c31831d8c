"""The page in headless Chromium (Debian's package) against the running system.

Nothing is reloaded during a test: a marker set on `window` at the start must still be there
at the end, so every change seen came through the live event stream. Screenshots go to
test-artifacts/.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


async def call(system: RunningSystem, service: str, path: str, body: object = None) -> Any:
    """POST `body` (or GET without one) to a service; the JSON answer."""
    async with httpx.AsyncClient(base_url=system.urls[service], timeout=10) as client:
        if body is None:
            response = await client.get(path)
        else:
            key = {"Idempotency-Key": uuid.uuid4().hex}  # line terminals retry with one
            response = await client.post(path, json=body, headers=key)
    assert response.is_success, f"{path}: {response.status_code} {response.text}"
    return response.json()


async def register_line(system: RunningSystem) -> tuple[str, str]:
    """A fresh saw and CNC mill (the groups of the sample routing); their ids."""
    suffix = uuid.uuid4().hex[:4].upper()
    saw, cnc = f"SAW-{suffix}", f"CNC-{suffix}"
    await call(system, "scheduler", "/work-centers", {"id": saw, "group": "SAW", "name": saw})
    await call(system, "scheduler", "/work-centers", {"id": cnc, "group": "CNC", "name": cnc})
    return saw, cnc


async def eventually(check: Any, *, timeout: float = LIVE / 1000) -> Any:
    async with asyncio.timeout(timeout):
        while not (found := await check()):
            await asyncio.sleep(0.2)
    return found


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
    _, cnc = await register_line(system)
    gantt = page.get_by_test_id("gantt")

    order_id = await post_order(system, materials=[])
    shown = re.compile(re.escape(order_id))
    await expect(gantt).to_have_attribute("data-orders", shown, timeout=LIVE)
    await expect(gantt).to_have_attribute("data-state", "loaded")
    assert int(await gantt.get_attribute("data-bars") or 0) >= 2  # cut on a saw, mill on a CNC

    # The line terminal starts the first operation: its bar turns "started", then "completed".
    projection = await call(system, "scheduler", f"/orders/{order_id}/projection")
    jobs = {op["seq"]: op["job_id"] for op in projection["operations"]}
    await call(system, "scheduler", f"/jobs/{jobs[10]}/start", {"operator": "ann"})
    started = re.compile(rf"{re.escape(order_id)}/10=started")
    await expect(gantt).to_have_attribute("data-operations", started, timeout=LIVE)
    done = {"good_quantity": 10, "operator": "ann"}
    await call(system, "scheduler", f"/jobs/{jobs[10]}/complete", done)
    completed = re.compile(rf"{re.escape(order_id)}/10=completed")
    await expect(gantt).to_have_attribute("data-operations", completed, timeout=LIVE)

    await call(system, "scheduler", f"/work-centers/{cnc}/down", {"reason": "spindle"})
    await expect(gantt).to_have_attribute("data-downtime", re.compile(re.escape(cnc)), timeout=LIVE)
    await page.screenshot(path=str(ARTIFACTS / "dashboard-gantt.png"), full_page=True)


# What the Gantt drew: its canvas elements named "non-working:<center>:<kind>" (app.js); none
# until the chart exists (the page may still be starting it when the test first looks).
DRAWN_NON_WORKING = """() => {
    const chart = window.echarts?.getInstanceByDom(document.getElementById("gantt"));
    if (!chart) return [];
    return chart.getZr().storage.getDisplayList().map((el) => el.name)
        .filter((n) => n?.startsWith("non-working:"));
}"""


async def test_the_gantt_shades_non_working_time(
    page: Page, system: RunningSystem, tmp_path: Path
) -> None:
    if not system.running("scheduler"):
        pytest.skip("waits for the scheduler service (GET /work-centers)")
    wc = f"PRESS-{uuid.uuid4().hex[:4].upper()}"
    # One early shift a day, and a maintenance stop inside the Gantt's default window.
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    weekly = [{"day": d, "start": "06:00", "end": "14:00"} for d in days]
    now = datetime.now(UTC)
    stop = {"kind": "maintenance", "reason": "die change"}
    stop |= {
        "start_at": (now + timedelta(hours=20)).isoformat(),
        "end_at": (now + timedelta(hours=23)).isoformat(),
    }
    calendar = {"weekly": weekly, "exceptions": [stop]}
    body = {"id": wc, "group": "PRESS", "name": wc, "calendar": calendar}
    await call(system, "scheduler", "/work-centers", body)

    seen: dict[str, Any] = {}

    async def drawn() -> list[str]:
        seen["names"] = names = await page.evaluate(DRAWN_NON_WORKING)
        seen["data"] = await page.get_by_test_id("gantt").get_attribute("data-non-working")
        mine = [n for n in names if n.startswith(f"non-working:{wc}:")]
        return mine if mine and len(names) == int(seen["data"] or 0) else []

    try:
        mine = await eventually(drawn)
    except TimeoutError:
        pytest.fail(f"drawn {seen.get('names')}, data-non-working {seen.get('data')}")
    # 3 days of one 8-hour shift a day leave at least 3 off-shift gaps, besides the stop.
    assert mine.count(f"non-working:{wc}:off_shift") >= 3, mine
    assert mine.count(f"non-working:{wc}:maintenance") == 1, mine
    shot = tmp_path / "dashboard-gantt-non-working.png"
    await page.get_by_test_id("gantt").screenshot(path=str(shot))
    assert shot.stat().st_size > 0


async def test_a_late_order_shows_as_at_risk_with_why(page: Page, system: RunningSystem) -> None:
    if not system.running("scheduler"):
        pytest.skip("waits for the scheduler service (order projections)")
    await register_line(system)
    order_id = await post_order(system, due_date="2020-01-01T00:00:00Z", materials=[])
    row = page.locator(f'#at-risk tr[data-order-id="{order_id}"]')
    await expect(row).to_have_count(1, timeout=LIVE)
    await expect(row.locator("td.late")).not_to_have_text("–")
    await expect(row.locator("td ul li")).not_to_have_count(0)


async def test_spc_chart_of_an_inspected_characteristic(page: Page, system: RunningSystem) -> None:
    if not (system.running("scheduler") and system.running("quality")):
        pytest.skip("waits for the scheduler and quality services")
    await register_line(system)
    product = f"BRACKET-{uuid.uuid4().hex[:4]}"
    order_id = await post_order(system, product=product, materials=[])
    projection = await eventually(lambda: _projection_with_centers(system, order_id))
    jobs = {op["seq"]: op["job_id"] for op in projection["operations"]}
    for seq in (10, 20):
        await call(system, "scheduler", f"/jobs/{jobs[seq]}/start", {"operator": "ann"})
        done = {"good_quantity": 10, "operator": "ann"}
        await call(system, "scheduler", f"/jobs/{jobs[seq]}/complete", done)

    async def requested() -> list[Any]:
        found = await call(system, "quality", f"/inspections?order_id={order_id}")
        return list(found["inspections"])

    (inspection,) = await eventually(requested)
    values = ["12.001", "11.999", "12.035"]  # the last one is above the upper limit
    results = {
        "inspector": "ida",
        "measurements": [{"characteristic": "bore", "values": values}],
        "defect_codes": ["OVERSIZE"],
    }
    await call(system, "quality", f"/inspections/{inspection['inspection_id']}/results", results)
    await page.fill("#spc-product", product)
    await page.fill("#spc-characteristic", "bore")
    await page.click("#spc-form button")
    await expect(page.get_by_test_id("spc")).not_to_have_attribute("data-points", "0", timeout=LIVE)
    await page.screenshot(path=str(ARTIFACTS / "dashboard-quality.png"), full_page=True)


async def _projection_with_centers(system: RunningSystem, order_id: str) -> Any:
    async with httpx.AsyncClient(base_url=system.urls["scheduler"], timeout=10) as client:
        response = await client.get(f"/orders/{order_id}/projection")
    if not response.is_success:
        return None
    body = response.json()
    ops = body["operations"]
    return body if ops and all(op["work_center_id"] for op in ops) else None
