// The production overview: panels fetched from /api, refreshed when the event stream says
// something they show has changed. Charts are Apache ECharts (vendored, no CDN).

const COLORS = {
  planned: "#5b8ff9", started: "#f6a609", completed: "#3fb27f", late: "#e8483b", down: "#9aa5b1",
};
const FEED_SIZE = 60;
const $ = (selector, root = document) => root.querySelector(selector);

const charts = {};
function chart(id) {
  if (!window.echarts) return null; // the vendored library is missing: tables still work
  charts[id] ??= echarts.init(document.getElementById(id));
  return charts[id];
}
window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));

async function getJSON(url) {
  const response = await fetch(url, { headers: { accept: "application/json" } });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

// One refresh at a time per panel; a request during a refresh runs once more after it.
function refresher(name, load, waitMs = 250) {
  let timer = null, running = false, again = false;
  const run = async () => {
    if (running) { again = true; return; }
    running = true;
    try { await load(); } catch (error) { console.error(name, error); }
    running = false;
    if (again) { again = false; schedule(); }
  };
  const schedule = () => { clearTimeout(timer); timer = setTimeout(run, waitMs); };
  return { now: run, soon: schedule };
}

function showUnavailable(section, sources) {
  const down = Object.entries(sources).filter(([, s]) => !s.available);
  const note = $(".unavailable", section);
  note.hidden = down.length === 0;
  note.textContent = down.map(([name, s]) => s.error || `${name} service unavailable`).join("; ");
  return down.length === 0;
}

// A chart with nothing to show says so instead of drawing empty axes.
const emptyNote = (message) => ({ graphic: [{ type: "text", left: "center", top: "middle",
  style: { text: message, fill: "#6b7785", fontSize: 13 } }] });
const noNote = { graphic: [] };

const fmtTime = (iso) => iso ? new Date(iso).toLocaleString([], {
  month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }) : "–";
const fmtMinutes = (m) => m == null ? "–" : m >= 2880 ? `${(m / 1440).toFixed(1)} d`
  : m >= 120 ? `${(m / 60).toFixed(1)} h` : `${Math.round(m)} min`;
const text = (value) => document.createTextNode(value == null ? "" : String(value));
function cell(row, value, className) {
  const td = row.insertCell();
  if (value instanceof Node) td.append(value); else td.append(text(value));
  if (className) td.className = className;
  return td;
}

// ---- Gantt ---------------------------------------------------------------------------------

function barColor(op) {
  if (op.status === "completed") return COLORS.completed;
  if (op.late) return COLORS.late;
  return op.status === "started" ? COLORS.started : COLORS.planned;
}

function renderBar(params, api) {
  const row = api.value(0);
  const start = api.coord([api.value(1), row]);
  const end = api.coord([api.value(2), row]);
  const height = api.size([0, 1])[1] * 0.55;
  const shape = echarts.graphic.clipRectByRect(
    { x: start[0], y: start[1] - height / 2, width: Math.max(end[0] - start[0], 2), height },
    { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height },
  );
  return shape && { type: "rect", transition: ["shape"], shape,
    style: { fill: api.visual("color"), stroke: "#fff", lineWidth: 0.5 } };
}

function renderBand(params, api) {
  const row = api.value(0);
  const start = api.coord([api.value(1), row]);
  const end = api.coord([api.value(2), row]);
  const height = api.size([0, 1])[1];
  const shape = echarts.graphic.clipRectByRect(
    { x: start[0], y: start[1] - height / 2, width: Math.max(end[0] - start[0], 3), height },
    { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height },
  );
  return shape && { type: "rect", shape, z2: -1,
    style: { fill: "rgba(154,165,177,0.35)", stroke: COLORS.late, lineWidth: 1, lineDash: [4, 3] } };
}

// Off-shift time is a light hatch; holidays, maintenance and closures a darker one.
const NON_WORKING = { off_shift: "rgba(107,119,133,0.10)", exception: "rgba(107,119,133,0.26)" };

function renderNonWorking(params, api, items) {
  const row = api.value(0);
  const start = api.coord([api.value(1), row]);
  const end = api.coord([api.value(2), row]);
  const height = api.size([0, 1])[1];
  const shape = echarts.graphic.clipRectByRect(
    { x: start[0], y: start[1] - height / 2, width: end[0] - start[0], height },
    { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height },
  );
  const band = items[params.dataIndex].band;
  // Named so a test (or a tool) can count what was drawn, per work center.
  return shape && { type: "rect", name: `non-working:${band.work_center_id}:${band.kind}`, shape, z2: -2,
    style: { fill: band.kind === "off_shift" ? NON_WORKING.off_shift : NON_WORKING.exception } };
}

function ganttTooltip(p) {
  const op = p.data.op, band = p.data.band;
  if (op) return `${op.order_id} / ${op.seq} ${op.operation}<br>${op.work_center_id}: ` +
    `${fmtTime(op.start_at)} → ${fmtTime(op.end_at)}<br>${op.status}${op.late ? ", late" : ""}`;
  const what = band.kind === undefined ? `down: ${band.reason}`
    : band.kind === "off_shift" ? "no shift" : `${band.kind}${band.reason ? `: ${band.reason}` : ""}`;
  return `${band.work_center_id} ${what}<br>${fmtTime(band.from)} → ${band.to ? fmtTime(band.to) : "?"}`;
}

async function loadGantt() {
  // The server picks the window around plant time (the simulator may run it faster).
  const data = await getJSON(`/api/gantt?days=${Number($("#gantt-window").value)}`);
  const from = new Date(data.from), to = new Date(data.to);
  const el = $("#gantt");
  const ok = showUnavailable(el.parentElement, { scheduler: data.source });
  const rows = data.work_centers.map((wc) => wc.id);
  const index = new Map(rows.map((id, i) => [id, i]));
  const now = Date.parse(data.now);
  const bars = data.operations.filter((op) => index.has(op.work_center_id)).map((op) => ({
    value: [index.get(op.work_center_id), Date.parse(op.start_at), Date.parse(op.end_at)],
    itemStyle: { color: barColor(op) }, op,
  }));
  const bands = data.downtime.filter((b) => index.has(b.work_center_id)).map((b) => ({
    value: [index.get(b.work_center_id), Date.parse(b.from), b.to ? Date.parse(b.to) : to.getTime()],
    band: b,
  }));
  const offTime = (data.non_working ?? []).filter((b) => index.has(b.work_center_id)).map((b) => ({
    value: [index.get(b.work_center_id), Date.parse(b.from), Date.parse(b.to)], band: b,
  }));
  el.dataset.state = ok ? "loaded" : "unavailable";
  el.dataset.nonWorking = String(offTime.length);
  el.dataset.bars = String(bars.length);
  el.dataset.orders = [...new Set(data.operations.map((op) => op.order_id))].join(",");
  el.dataset.downtime = data.downtime.map((b) => b.work_center_id).join(",");
  // Per operation "order/seq=status" (and "late"): what a colour says, for tests and tools.
  el.dataset.operations = data.operations.map((op) => `${op.order_id}/${op.seq}=${op.status}${op.late ? ",late" : ""}`).join(" ");
  const c = chart("gantt");
  if (!c) return;
  c.setOption({
    animationDurationUpdate: 400,
    grid: { left: 110, right: 20, top: 22, bottom: 50 },
    tooltip: { formatter: ganttTooltip },
    xAxis: { type: "time", min: from.getTime(), max: to.getTime(), axisLabel: { hideOverlap: true } },
    yAxis: { type: "category", data: data.work_centers.map((wc) => wc.status === "down" ? `${wc.name} (down)` : wc.name),
      inverse: true, axisTick: { show: false } },
    dataZoom: [{ type: "inside", xAxisIndex: 0, filterMode: "weakFilter" },
      { type: "slider", xAxisIndex: 0, height: 16, bottom: 8, filterMode: "weakFilter" }],
    series: [
      { id: "non-working", type: "custom", renderItem: (params, api) => renderNonWorking(params, api, offTime), encode: { x: [1, 2], y: 0 },
        data: offTime, z: 1 },
      { id: "downtime", type: "custom", renderItem: renderBand, encode: { x: [1, 2], y: 0 }, data: bands },
      { id: "plan", type: "custom", renderItem: renderBar, encode: { x: [1, 2], y: 0 }, data: bars,
        markLine: { silent: true, symbol: "none", lineStyle: { color: COLORS.late, width: 1.5 },
          label: { formatter: "now", position: "end" }, data: [{ xAxis: now }] } },
    ],
  }, { replaceMerge: ["series"] });
}

// ---- Orders at risk and materials -----------------------------------------------------------

async function loadAtRisk() {
  const data = await getJSON("/api/at-risk");
  const table = $("#at-risk");
  showUnavailable(table.parentElement, data.sources);
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const order of data.orders) {
    const row = body.insertRow();
    row.dataset.orderId = order.order_id;
    cell(row, order.external_ref || order.order_id);
    cell(row, order.customer);
    cell(row, fmtTime(order.due_at));
    cell(row, fmtMinutes(order.lateness_minutes), "late");
    const why = document.createElement("ul");
    for (const reason of order.reasons) why.append(Object.assign(document.createElement("li"), { textContent: reason }));
    cell(row, why);
  }
  $(".empty", table.parentElement).hidden = data.orders.length > 0 || !data.sources.orders.available;
}

async function loadMaterials() {
  const data = await getJSON("/api/materials");
  const table = $("#shortages");
  showUnavailable(table.parentElement, { inventory: data.source });
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const s of data.shortages) {
    const row = body.insertRow();
    row.dataset.orderId = s.order_id;
    row.dataset.materialId = s.material_id;
    cell(row, s.material_id); cell(row, s.order_id.slice(0, 8)); cell(row, s.operation_seq);
    cell(row, s.short, "late"); cell(row, fmtTime(s.due_at));
  }
  $(".empty", table.parentElement).hidden = data.shortages.length > 0 || !data.source.available;
  $("#reorder").replaceChildren(...data.below_reorder_point.map((m) => Object.assign(
    document.createElement("li"), { textContent: `${m.material_id}: ${m.available} available, reorder at ${m.reorder_point}` })));
}

// ---- KPIs, OEE, Pareto ----------------------------------------------------------------------

async function loadKpis() {
  const data = await getJSON("/api/kpis");
  const section = $("#kpis");
  showUnavailable(section, data.sources);
  $(".tiles", section).replaceChildren(...data.tiles.map((t) => {
    const tile = Object.assign(document.createElement("div"), { className: "tile" });
    tile.dataset.kpi = t.key;
    const value = t.value == null ? "–" : `${t.value.toFixed(t.unit === "%" ? 1 : 0)}${t.unit === "%" ? " %" : ""}`;
    tile.append(Object.assign(document.createElement("div"), { className: "label", textContent: t.label }),
      Object.assign(document.createElement("div"), {
        className: t.value == null ? "value unknown" : "value", textContent: value,
        title: t.value == null ? `${t.source} service unavailable` : "" }));
    return tile;
  }));
  const oee = chart("oee");
  if (oee) oee.setOption({
    title: { text: data.bottleneck ? `OEE %  (bottleneck: ${data.bottleneck})` : "OEE %",
      textStyle: { fontSize: 12 } },
    grid: { left: 80, right: 20, top: 30, bottom: 20 }, tooltip: {},
    xAxis: { type: "value", max: 100 },
    yAxis: { type: "category", data: data.oee.map((r) => r.work_center_id), inverse: true },
    series: [{ type: "bar", data: data.oee.map((r) => r.oee == null ? null : r.oee * 100),
      itemStyle: { color: COLORS.planned } }],
    ...(data.oee.length ? noNote : emptyNote("no work center data yet")),
  }, true);
  const pareto = chart("pareto");
  if (pareto) {
    const rows = data.pareto;
    pareto.setOption({
      title: { text: "Defects", textStyle: { fontSize: 12 } },
      grid: { left: 40, right: 40, top: 30, bottom: 40 }, tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: rows.map((r) => r.defect_code), axisLabel: { rotate: 30 } },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", max: 100, axisLabel: { formatter: "{value} %" } }],
      series: [
        { type: "bar", data: rows.map((r) => r.count), itemStyle: { color: COLORS.late } },
        { type: "line", yAxisIndex: 1, data: rows.map((r) => r.cumulative_percent) },
      ],
      ...(rows.length ? noNote : emptyNote("no defects recorded")),
    }, true);
  }
}

// ---- SPC ------------------------------------------------------------------------------------

async function loadSpcChoices() {
  const data = await getJSON("/api/spc-choices");
  const product = $("#spc-product"), characteristic = $("#spc-characteristic");
  const options = (values) => [...new Set(values)].map((value) => Object.assign(document.createElement("option"), { value }));
  $("#spc-products").replaceChildren(...options(data.choices.map((c) => c.product)));
  $("#spc-characteristics").replaceChildren(...options(data.choices.map((c) => c.characteristic)));
  if (!product.value && data.choices.length) {
    product.value = data.choices[0].product;
    characteristic.value = data.choices[0].characteristic;
    panels.spc.now();
  }
}

async function loadSpc() {
  const product = $("#spc-product").value.trim();
  const characteristic = $("#spc-characteristic").value.trim();
  const c = chart("spc");
  if (!product || !characteristic) {
    c?.setOption({ ...emptyNote("no inspection results yet: choose a product and a characteristic") }, true);
    return;
  }
  const data = await getJSON(`/api/spc/${encodeURIComponent(product)}/${encodeURIComponent(characteristic)}`);
  const el = $("#spc");
  const ok = showUnavailable(el.parentElement, { quality: data.source });
  const spc = data.chart;
  el.dataset.points = String(spc?.points.length ?? 0);
  el.dataset.outOfControl = String(spc?.out_of_control.length ?? 0);
  if (!c) return;
  if (!ok || !spc) {
    c.setOption({ ...emptyNote(data.source.error || `no results for ${product} / ${characteristic}`) }, true);
    return;
  }
  const limit = (name, value, color, dashed) => value == null ? null : {
    name, yAxis: value, label: { formatter: `${name} ${Number(value).toPrecision(5)}`, position: "end" },
    lineStyle: { type: dashed ? "dashed" : "solid", color } };
  const x = spc.x_chart, spec = spc.specification;
  const cpk = spc.capability?.cpk;
  // The y range holds every point and every limit (axes fit only the data by default).
  const levels = [...spc.points.map((p) => p.value), x?.ucl, x?.lcl, spec.upper, spec.lower, spec.nominal]
    .filter((v) => v != null);
  const pad = (Math.max(...levels) - Math.min(...levels)) * 0.1 || Math.abs(spec.nominal) * 0.01 || 1;
  c.setOption({
    title: { text: `${spc.chart === "xbar_r" ? "X̄" : "Individuals"} chart, ${spc.subgroups} subgroups` +
      (cpk == null ? "" : `, Cpk ${cpk.toFixed(2)}`), textStyle: { fontSize: 12 } },
    grid: { left: 60, right: 110, top: 30, bottom: 30 },
    tooltip: { trigger: "axis", formatter: (items) => {
      const p = spc.points[items[0].dataIndex];
      return `#${p.index} ${fmtTime(p.inspected_at)}<br>${p.value} ${spec.unit}` +
        (p.rules.length ? `<br>breaks rule ${p.rules.join(", ")}` : ""); } },
    xAxis: { type: "category", data: spc.points.map((p) => p.index) },
    yAxis: { type: "value", name: spec.unit, min: Math.min(...levels) - pad, max: Math.max(...levels) + pad,
      axisLabel: { formatter: (v) => Number(v).toPrecision(5) } },
    series: [{
      type: "line", data: spc.points.map((p) => ({
        value: p.value,
        itemStyle: { color: p.rules.length ? COLORS.late : COLORS.planned },
        symbolSize: p.rules.length ? 10 : 5 })),
      markLine: { silent: true, symbol: "none", data: [
        limit("UCL", x?.ucl, COLORS.late), limit("CL", x?.center, COLORS.completed),
        limit("LCL", x?.lcl, COLORS.late), limit("USL", spec.upper, "#6b7785", true),
        limit("LSL", spec.lower, "#6b7785", true),
      ].filter(Boolean) },
    }],
  }, true);
}

// ---- Live feed and the event stream ---------------------------------------------------------

function addToFeed(event) {
  const item = document.createElement("li");
  item.dataset.type = event.type;
  item.dataset.subject = event.subject;
  for (const [value, cls] of [[fmtTime(event.time), "time"], [event.source.replace("mes/", ""), "service"],
    [event.type.split(".").pop(), "type"], [event.subject, "subject"]]) {
    item.append(Object.assign(document.createElement("span"), { className: cls, textContent: value }));
  }
  const feed = $("#feed");
  feed.prepend(item);
  while (feed.children.length > FEED_SIZE) feed.lastElementChild.remove();
}

const panels = {
  gantt: refresher("gantt", loadGantt),
  atRisk: refresher("at-risk", loadAtRisk),
  materials: refresher("materials", loadMaterials),
  kpis: refresher("kpis", loadKpis, 1000),
  spc: refresher("spc", loadSpc, 1000),
  spcChoices: refresher("spc-choices", loadSpcChoices, 2000),
};
// Which panels an event's service can change.
const AFFECTS = {
  orders: ["atRisk", "gantt", "kpis"],
  scheduler: ["gantt", "atRisk", "kpis"],
  inventory: ["materials", "atRisk"],
  quality: ["kpis", "spc", "spcChoices"],
};

function connect() {
  const state = $("#stream-state");
  const source = new EventSource("/api/events");
  source.onopen = () => { state.textContent = "live"; };
  source.onerror = () => { state.textContent = "reconnecting…"; };
  source.onmessage = (message) => {
    if (!message.data) return;
    const event = JSON.parse(message.data);
    addToFeed(event);
    for (const panel of AFFECTS[event.source.replace("mes/", "")] ?? []) panels[panel].soon();
  };
  source.addEventListener("status", (message) => {
    const status = JSON.parse(message.data);
    const pill = $(`#services [data-service="${status.service}"]`);
    pill.className = status.available ? "up" : "down";
    pill.title = status.reason ?? "";
    if (status.available) for (const panel of AFFECTS[status.service] ?? []) panels[panel].soon();
  });
}

$("#gantt-window").addEventListener("change", () => panels.gantt.now());
$("#spc-form").addEventListener("submit", (e) => { e.preventDefault(); panels.spc.now(); });
for (const panel of Object.values(panels)) panel.now();
setInterval(() => panels.gantt.soon(), 30_000); // the now-line moves; the plan may too
connect();
