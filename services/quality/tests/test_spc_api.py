"""GET /spc over recorded results: charts, rules and capability checked by hand."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from mes_quality.application.context import Quality
from mes_quality.testing import T0, open_inspection, results

pytestmark = pytest.mark.integration
approx = pytest.approx


async def measure(
    q: Quality, client: httpx.AsyncClient, product: str, n: int, diameters: list[str], **kw: Any
) -> None:
    """One inspection of `product` (sample size len(diameters)), measured at T0 + n hours."""
    order_id = f"{product}-{kw.pop('order', 'o')}"
    ins = await open_inspection(
        q, client, order_id, f"{order_id}-{n}", product=product, sample_size=len(diameters)
    )
    at = (T0 + timedelta(hours=n)).isoformat()
    r = await client.post(f"/inspections/{ins}/results", json=results(diameters, inspected_at=at))
    assert r.status_code == 200, r.text


async def test_individuals_chart_by_hand(q: Quality, client: httpx.AsyncClient) -> None:
    # x = 10.00, 10.02, 10.01, 10.03, 10.02, 10.12 (posted out of order, charted by time)
    # x̄ = 60.20 / 6 = 10.033333; MR = .02 .01 .02 .01 .10 -> MR̄ = 0.16 / 5 = 0.032
    # X limits: 10.033333 ± 2.66·0.032 = ± 0.08512 -> 9.948213, 10.118453: 10.12 is beyond
    #   (rule 1). σ of the chart = 0.08512 / 3 = 0.028373: 2σ = 10.0901, 1σ = 10.0617, so only
    #   the last point is beyond either; five points sit below x̄, one above: no run of 8.
    # MR chart: UCL = 3.267·0.032 = 0.104544 > 0.10: in control.
    # σ̂ = 0.032 / 1.128 = 0.0283688; spec 9.98..10.02 mm:
    #   Cp = 0.04 / (6·0.0283688) = 0.235000; Cpu = (10.02 − 10.033333) / 0.0851064 = −0.156667
    #   Cpl = (10.033333 − 9.98) / 0.0851064 = 0.626667; Cpk = −0.156667
    values = ["10.00", "10.02", "10.01", "10.03", "10.02", "10.12"]
    for n in (3, 1, 5, 0, 2, 4):
        await measure(q, client, "SPC-I", n, [values[n]])
    r = await client.get("/spc/SPC-I/diameter")
    assert r.status_code == 200, r.text
    spc = r.json()
    assert (spc["chart"], spc["subgroup_size"], spc["subgroups"]) == ("individuals", 1, 6)
    assert [p["value"] for p in spc["points"]] == approx([float(v) for v in values])
    ranges = [p["range"] for p in spc["points"]]
    assert ranges[0] is None and ranges[1:] == approx([0.02, 0.01, 0.02, 0.01, 0.10])
    x, mr = spc["x_chart"], spc["range_chart"]
    assert [x["lcl"], x["center"], x["ucl"]] == approx([9.948213, 10.033333, 10.118453])
    assert [mr["lcl"], mr["center"], mr["ucl"]] == approx([0, 0.032, 0.104544])
    assert spc["sigma_within"] == approx(0.0283688, rel=1e-5)
    assert spc["out_of_control"] == [
        {"index": 6, "inspection_id": spc["points"][5]["inspection_id"], "chart": "x", "rules": [1]}
    ]
    assert [p["rules"] for p in spc["points"]] == [[], [], [], [], [], [1]]
    cap = spc["capability"]
    assert [cap["cp"], cap["cpu"], cap["cpl"], cap["cpk"]] == approx(
        [0.235, -0.156667, 0.626667, -0.156667], rel=1e-4
    )
    assert spc["specification"] == {"lower": 9.98, "upper": 10.02, "nominal": 10.0, "unit": "mm"}
    last3 = (await client.get("/spc/SPC-I/diameter", params={"limit": 3})).json()
    assert [p["value"] for p in last3["points"]] == approx([10.03, 10.02, 10.12])


async def test_xbar_r_chart_by_hand_leaves_other_sample_sizes_off(
    q: Quality, client: httpx.AsyncClient
) -> None:
    # an older plan sampled 2 pieces: left off and counted
    await measure(q, client, "SPC-X", 0, ["10.00", "10.01"], order="old")
    # n = 3: (10.01 10.02 10.03) (10.02 10.04 10.06) (10.03 10.03 10.03) (10.02 10.03 10.04)
    # means 10.02, 10.04, 10.03, 10.03 -> x̿ = 10.03; ranges .02 .04 0 .02 -> R̄ = 0.02
    # X̄ limits: 10.03 ± 1.023·0.02 -> 10.00954, 10.05046; R limits 0, 2.574·0.02 = 0.05148
    # σ̂ = 0.02 / 1.693 = 0.0118133; Cp = 0.04 / (6·0.0118133) = 0.56433;
    # Cpu = (10.02 − 10.03) / (3·0.0118133) = −0.28217; Cpl = 0.05 / 0.03544 = 1.41083
    subgroups = [
        ["10.01", "10.02", "10.03"],
        ["10.02", "10.04", "10.06"],
        ["10.03", "10.03", "10.03"],
        ["10.02", "10.03", "10.04"],
    ]
    for n, sample in enumerate(subgroups, start=1):
        await measure(q, client, "SPC-X", n, sample)
    spc = (await client.get("/spc/SPC-X/diameter", params={"operation_seq": 20})).json()
    assert (spc["chart"], spc["subgroup_size"], spc["subgroups"]) == ("xbar_r", 3, 4)
    assert spc["excluded_subgroups"] == 1
    assert [p["value"] for p in spc["points"]] == approx([10.02, 10.04, 10.03, 10.03])
    assert [p["range"] for p in spc["points"]] == approx([0.02, 0.04, 0, 0.02])
    x, r = spc["x_chart"], spc["range_chart"]
    assert [x["lcl"], x["center"], x["ucl"]] == approx([10.00954, 10.03, 10.05046])
    assert [r["lcl"], r["center"], r["ucl"]] == approx([0, 0.02, 0.05148])
    cap = spc["capability"]
    assert [cap["cp"], cap["cpu"], cap["cpl"], cap["cpk"]] == approx(
        [0.56433, -0.28217, 1.41083, -0.28217], rel=1e-4
    )
    assert spc["out_of_control"] == []


async def test_unknown_series_are_404(q: Quality, client: httpx.AsyncClient) -> None:
    await measure(q, client, "SPC-N", 0, ["10"])
    for path, params in (
        ("/spc/NOPE/diameter", {}),
        ("/spc/SPC-N/bore", {}),
        ("/spc/SPC-N/diameter", {"operation_seq": 10}),
    ):
        r = await client.get(path, params=params)
        assert r.status_code == 404, r.text
    lone = (await client.get("/spc/SPC-N/diameter")).json()
    assert lone["x_chart"] is None and lone["capability"] is None and lone["subgroups"] == 1
