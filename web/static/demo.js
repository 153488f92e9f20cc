// labkit classroom demo: draws the frames /demo/events streams (the
// diagram's figures, the scoreboard, the cost meter and the time chart)
// and sends the controls. No libraries: this page works offline.
"use strict";

(function () {
  const $ = (sel) => document.querySelector(sel);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const colors = { accepted: "#56b4e9", completed: "#009e73", monolith: "#d55e00", invQueue: "#f0e442", accQueue: "#e69f00", dlq: "#cc79a7" };
  const lines = [
    { key: "accepted", width: 3, dash: [] },
    { key: "completed", width: 5, dash: [] },
    { key: "monolith", width: 3, dash: [12, 6] },
    { key: "invQueue", width: 3, dash: [3, 5] },
    { key: "accQueue", width: 3, dash: [3, 5] },
    { key: "dlq", width: 3, dash: [10, 4, 3, 4] },
  ];
  let last = null;

  const fmt = (n, digits) => (n === 0 ? "0" : n >= 100 || digits === 0 ? Math.round(n).toString() : n.toFixed(digits === undefined ? 1 : digits));
  const usd = (v) => {
    if (v === 0) return "$0";
    if (v < 0.01) return "$" + v.toFixed(6);
    if (v < 10) return "$" + v.toFixed(4);
    return "$" + v.toFixed(2);
  };
  const setText = (el, s) => { if (el && el.textContent !== s) el.textContent = s; };

  function node(id, fig, sub, state) {
    const g = document.querySelector(`.node[data-node="${id}"]`);
    if (!g) return;
    setText(g.querySelector(".fig"), fig);
    setText(g.querySelector(".sub"), sub);
    g.classList.toggle("busy", state === "busy");
    g.classList.toggle("warn", state === "warn");
    g.classList.toggle("down", state === "down");
  }

  function drawNodes(f) {
    const n = f.nodes, sw = f.switches, dec = f.score.decoupled || {};
    const busy = (x) => (x.rate > 0.05 ? "busy" : "");
    const fn = (id) => {
      const x = n[id] || {};
      const bits = [`conc ${fmt(x.concurrency || 0)}`];
      if (x.errors) bits.push(`err ${x.errors}`);
      if (x.throttles) bits.push(`throttled ${x.throttles}`);
      node(id, fmt(x.rate || 0), bits.join(" · "), x.throttles || x.errors ? "warn" : busy(x));
    };
    ["authorizer", "intake", "publisher", "invWorker", "accWorker"].forEach(fn);
    const api = n.api || {};
    node("api", fmt(api.rate || 0), `429s ${api.throttles || 0} · 5xx ${api.errors || 0}`, api.throttles ? "warn" : busy(api));
    node("table", fmt((n.table || {}).rate || 0), `${dec.stored || 0} orders stored`, busy(n.table || {}));
    node("stream", fmt((n.stream || {}).rate || 0), "", busy(n.stream || {}));
    node("topic", fmt((n.topic || {}).rate || 0), "", busy(n.topic || {}));
    for (const q of ["invQueue", "accQueue"]) {
      const x = n[q] || {};
      node(q, String(x.depth || 0), `in flight ${x.inFlight || 0}`, (x.depth || 0) + (x.inFlight || 0) > 0 ? "busy" : "");
    }
    for (const q of ["invDLQ", "accDLQ"]) {
      const x = n[q] || {};
      node(q, String(x.depth || 0), x.depth ? "needs a look" : "empty", x.depth ? "warn" : "");
    }
    const svc = (id, down, slow) => {
      const x = n[id] || {};
      let sub = `5xx ${x.errors || 0}`, state = busy(x);
      if (down) { sub = "DOWN: answers 503"; state = "down"; }
      else if (slow) { sub = "SLOW: +2 s a call"; state = "warn"; }
      node(id, fmt(x.rate || 0), sub, state);
    };
    svc("inventory", false, sw.inventorySlow);
    svc("accounting", sw.accountingDown, false);
    const m = n.monolith || {};
    node("monolith", fmt(m.rate || 0), `conc ${fmt(m.concurrency || 0)} · 5xx ${m.errors || 0}`, m.errors ? "warn" : busy(m));
  }

  function drawScore(f) {
    for (const design of ["decoupled", "monolith"]) {
      const s = f.score[design] || {};
      const cell = (k) => document.querySelector(`[data-score="${design}.${k}"]`);
      for (const k of ["sent", "accepted", "complete", "inconsistent", "waiting"]) {
        const c = cell(k);
        if (!c) continue;
        setText(c, String(s[k] || 0));
        if (k === "inconsistent") {
          c.classList.toggle("nonzero", (s[k] || 0) > 0);
          c.classList.toggle("zero", (s[k] || 0) === 0 && (s.stored || 0) > 0);
        }
      }
      setText(cell("door"), String((s.throttled || 0) + (s.refused || 0) + (s.failed || 0)));
      const l = s.latencyMs || {};
      setText(cell("latency"), l.p50 ? `${fmt(l.p50, 0)} / ${fmt(l.p99, 0)}` : "–");
    }
  }

  function drawCost(f) {
    const c = f.cost || {};
    setText($("#cost-run"), usd(c.usd || 0));
    setText($("#cost-per-m"), c.perMillionOrders ? `(${usd(c.perMillionOrders)} per million orders; lab 6's month: ${usd(c.monthUsd)})` : "");
    setText($("#cost-old-run"), usd(c.oldRunUsd || 0));
    setText($("#cost-old"), `(${usd(c.oldHourUsd || 0)} an hour, ${usd(c.oldMonthUsd || 0)} a month, orders or not)`);
    setText($("#cost-src"), `List prices ${c.asOf || ""}: ${c.source || ""}`);
  }

  function drawLog(f) {
    const ol = $("#log");
    const items = (f.log || []).slice().reverse().slice(0, 4);
    const html = items.join("\n");
    if (ol.dataset.text === html) return;
    ol.dataset.text = html;
    ol.replaceChildren(...items.map((t) => {
      const li = document.createElement("li");
      li.textContent = t;
      if (/failed|could not/.test(t)) li.className = "error";
      return li;
    }));
  }

  function drawButtons(f) {
    const sw = f.switches || {};
    const acc = $("#btn-accounting"), inv = $("#btn-inventory");
    acc.setAttribute("aria-pressed", String(!!sw.accountingDown));
    acc.dataset.action = sw.accountingDown ? "accounting-up" : "accounting-down";
    setText(acc, sw.accountingDown ? "Accounting: bring up" : "Accounting down");
    inv.setAttribute("aria-pressed", String(!!sw.inventorySlow));
    inv.dataset.action = sw.inventorySlow ? "inventory-normal" : "inventory-slow";
    setText(inv, sw.inventorySlow ? "Inventory: back to normal" : "Inventory slow");
    const spike = document.querySelector('[data-action="spike"]');
    spike.disabled = !!f.busy;
    setText(spike, f.busy ? "Sending…" : "Sales spike");
  }

  function drawChart(f) {
    const canvas = $("#chart");
    const series = f.series || [];
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    if (!w || !h) return;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const font = parseFloat(getComputedStyle(document.documentElement).fontSize) * 0.8;
    ctx.font = `${font}px system-ui, sans-serif`;
    const padL = font * 3.2, padB = font * 1.6, padT = font * 0.6, padR = font * 0.6;
    const pw = w - padL - padR, ph = h - padT - padB;
    const end = series.length ? series[series.length - 1].t : Date.now();
    // The window grows with the run, from one minute to three.
    const span = Math.max(60000, Math.min(180000, series.length ? end - series[0].t : 0)), start = end - span;
    let ymax = 10;
    for (const p of series) for (const l of lines) ymax = Math.max(ymax, p[l.key] || 0);
    ymax = niceMax(ymax * 1.1);
    const x = (t) => padL + ((t - start) / span) * pw;
    const y = (v) => padT + ph - (v / ymax) * ph;
    ctx.strokeStyle = "#3a4457"; ctx.fillStyle = "#b7c0d3"; ctx.lineWidth = 1; ctx.setLineDash([]);
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (let i = 0; i <= 5; i++) {
      const v = (ymax / 5) * i;
      ctx.beginPath(); ctx.moveTo(padL, y(v)); ctx.lineTo(padL + pw, y(v)); ctx.stroke();
      ctx.fillText(fmt(v, 0), padL - font * 0.3, y(v));
    }
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (let s = 0; s <= span / 1000; s += span > 90000 ? 30 : 15) ctx.fillText(s === 0 ? "now" : `-${s} s`, x(end - s * 1000), padT + ph + font * 0.3);
    for (const l of lines) {
      const k = font / 11; // lines and dashes grow with the type (4K projectors)
      ctx.strokeStyle = colors[l.key]; ctx.lineWidth = l.width * k; ctx.setLineDash(l.dash.map((d) => d * k)); ctx.lineJoin = "round";
      ctx.beginPath();
      let started = false;
      for (const p of series) {
        if (p.t < start) continue;
        const px = x(p.t), py = y(p[l.key] || 0);
        if (started) ctx.lineTo(px, py); else { ctx.moveTo(px, py); started = true; }
      }
      ctx.stroke();
    }
    ctx.setLineDash([]);
    canvas.dataset.points = String(series.length);
    canvas.dataset.last = series.length ? JSON.stringify(series[series.length - 1]) : "";
  }

  function niceMax(v) {
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  function draw(f) {
    last = f;
    drawNodes(f); drawScore(f); drawCost(f); drawLog(f); drawButtons(f); drawChart(f);
    document.body.dataset.frame = String(f.time);
  }

  function connect() {
    if (document.body.dataset.running !== "true") return;
    const live = $("#live");
    const es = new EventSource("/demo/events");
    es.addEventListener("frame", (ev) => {
      live.textContent = "live"; live.classList.add("on");
      draw(JSON.parse(ev.data));
    });
    es.onerror = () => { live.textContent = "reconnecting…"; live.classList.remove("on"); };
  }

  document.addEventListener("submit", (ev) => ev.preventDefault());

  async function control(action) {
    const form = $("#controls");
    const body = new URLSearchParams();
    if (action === "spike") {
      body.set("orders", form.elements.orders.value);
      body.set("rate", form.elements.rate.value);
    }
    const resp = await fetch(`${document.body.dataset.action}/${encodeURIComponent(action)}`, {
      method: "POST", body, headers: { "X-CSRF-Token": csrf }, credentials: "same-origin",
    });
    let msg;
    try { const j = await resp.json(); msg = j.message || j.error; } catch (e) { msg = `HTTP ${resp.status}`; }
    if (resp.ok) return; // the next frame's log says what it did, within a second
    const li = document.createElement("li");
    li.textContent = msg;
    li.className = "error";
    $("#log").prepend(li);
  }

  document.addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-action]");
    if (!b || b.disabled) return;
    ev.preventDefault();
    control(b.dataset.action);
  });
  window.addEventListener("resize", () => { if (last) drawChart(last); });
  connect();
})();
