// The dashboard page: one GET /api/state, then server-sent events (/api/events) keep it live. No polling.
"use strict";

const HISTORY_S = 300;             // the power chart shows the last five minutes
const history = {};                // connector id -> [[t, watts], ...]
const cards = {};
let simulator = false;

const $ = (sel, root) => (root || document).querySelector(sel);
const text = (el, value) => { el.textContent = value === null || value === undefined || value === "" ? "–" : value; };

function post(name, body) {
  return fetch("/api/sim/" + name, {method: "POST", headers: {"Content-Type": "application/json"},
                                    body: JSON.stringify(body || {})})
    .then(r => r.json()).then(answer => { if (answer.error) alert(name + ": " + answer.error); });
}

function card(id) {
  if (cards[id]) return cards[id];
  const node = $("#connector-card").content.firstElementChild.cloneNode(true);
  node.id = "conn-" + id;
  text($(".cid", node), id);
  const c = {connector: id};
  $(".plug", node).onclick = () => post("plug", c);
  $(".unplug", node).onclick = () => post("unplug", c);
  $(".tag", node).onclick = () => post("tag", {id_tag: $(".tag-input", node).value, connector: id});
  $(".suspend", node).onclick = () => post("ev", {connector: id, suspended: true});
  $(".resume", node).onclick = () => post("ev", {connector: id, suspended: false});
  $(".fault", node).onclick = () => post("device-fault", {connector: id, kind: $(".fault-kind", node).value});
  $(".clear", node).onclick = () => post("clear-fault", c);
  $(".lock-fails", node).onchange = (e) => post("lock", {connector: id, fails: e.target.checked});
  $("#connectors").appendChild(node);
  cards[id] = node;
  return node;
}

function pill(sel, label, cls) {
  const el = $(sel);
  el.textContent = label;
  el.className = "pill " + (cls || "");
}

function showState(s) {
  text($("#cp-id"), s.charge_point_id);
  pill("#link-state", "link: " + s.link.state, s.link.state === "connected" ? "ok" : "bad");
  pill("#registration", "registration: " + s.registration, s.registration === "accepted" ? "ok" : "warn");
  pill("#profile", "security profile " + s.link.security_profile);
  const j = s.journal;
  pill("#journal", "journal: " + j.waiting + " waiting" + (j.oldest_age_s !== null ? ", oldest " + j.oldest_age_s +
       " s" : ""), j.waiting ? "warn" : "ok");
  pill("#live", "live " + s.clock.slice(11, 19), "ok");
  simulator = s.simulator;
  $("#sim-global").hidden = !simulator;
  const t = Date.now() / 1000;
  for (const c of s.connectors) {
    if (c.id === 0) continue;
    const node = card(c.id);
    const status = $(".status", node);
    status.textContent = c.status;
    status.className = "status badge " + c.status;
    text($(".error-code", node), c.error_code + (c.info ? " (" + c.info + ")" : ""));
    text($(".pilot", node), c.pilot_state);
    text($(".offered", node), c.offered_amps === null || c.offered_amps === undefined ? null : c.offered_amps + " A");
    text($(".drawn", node), c.amps === null || c.amps === undefined ? null : c.amps + " A");
    text($(".power", node), c.power_w === null || c.power_w === undefined ? null : Math.round(c.power_w) + " W");
    text($(".energy", node), c.session_wh === null || c.session_wh === undefined ? null : c.session_wh + " Wh");
    text($(".id-tag", node), c.id_tag);
    text($(".tx", node), c.transaction_id);
    $(".controls", node).hidden = !simulator;
    const h = history[c.id] = (history[c.id] || []).filter(p => p[0] > t - HISTORY_S);
    h.push([t, c.power_w || 0]);
    drawChart($(".chart", node), h, t);
  }
  const facts = [["board", s.board.name], ["CSMS", s.link.csms_url], ["firmware", s.identity.firmware_version],
                 ["firmware update", s.firmware.status], ["diagnostics", s.diagnostics.status],
                 ["clock", s.clock], ["vendor / model", s.identity.vendor + " / " + s.identity.model]];
  fillRows($("#facts tbody"), facts);
  fillRows($("#config tbody"), s.config.map(k => [k.key, k.value === undefined ? "(hidden)" : k.value]));
}

function fillRows(tbody, rows) {
  tbody.replaceChildren(...rows.map(([k, v]) => {
    const tr = document.createElement("tr");
    for (const cell of [k, v]) { const td = document.createElement("td"); text(td, cell); tr.appendChild(td); }
    return tr;
  }));
}

function drawChart(canvas, points, now) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  const top = Math.max(1000, ...points.map(p => p[1]));
  ctx.strokeStyle = "#1d5fbf";
  ctx.lineWidth = 2;
  ctx.beginPath();
  points.forEach(([t, watts], i) => {
    const x = w - (now - t) / HISTORY_S * w, y = h - 4 - watts / top * (h - 16);
    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  });
  ctx.stroke();
  ctx.fillStyle = "#5b6770";
  ctx.font = "11px system-ui";
  ctx.fillText((top / 1000).toFixed(1) + " kW", 4, 12);
  ctx.fillText("−5 min", 4, h - 4);
}

function addFrame(f) {
  const tbody = $("#frames tbody");
  const tr = document.createElement("tr");
  const when = new Date(f.t * 1000).toISOString().slice(11, 23);
  const cells = [when, f.dir === "out" ? "→" : "←", f.kind, f.action || "?",
                 f.latency_ms === null ? "" : f.latency_ms + " ms", f.text];
  cells.forEach((v, i) => { const td = document.createElement("td"); td.textContent = v;
                            if (i === 5) td.className = "payload"; tr.appendChild(td); });
  tr.className = f.kind === "CALLERROR" ? "err" : f.dir;
  tbody.insertBefore(tr, tbody.firstChild);
  while (tbody.children.length > 200) tbody.removeChild(tbody.lastChild);
}

document.querySelectorAll("[data-sim]").forEach(b => {
  b.onclick = () => post(b.dataset.sim, b.dataset.up === undefined ? {} : {up: b.dataset.up === "true"});
});

fetch("/api/state").then(r => r.json()).then(s => {
  s.frames.forEach(addFrame);
  showState(s);
  const events = new EventSource("/api/events");
  events.addEventListener("state", e => showState(JSON.parse(e.data)));
  events.addEventListener("frame", e => addFrame(JSON.parse(e.data)));
  events.onerror = () => pill("#live", "reconnecting…", "bad");
});
