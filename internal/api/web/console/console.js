// Quarry's console: a page over the HTTP API. It keeps the bearer token in
// this tab's sessionStorage (or takes it from #token=... in the address),
// and writes every value from the API as text, never as HTML.
"use strict";

const $ = (sel) => document.querySelector(sel);
let token = sessionStorage.getItem("quarry-token") || "";

function status(text, isError) {
  const el = $("#status");
  el.textContent = text;
  el.className = isError ? "error" : "";
}

async function call(method, path, body) {
  if (!token) {
    throw new Error("give a bearer token first");
  }
  const opts = { method, headers: { Authorization: "Bearer " + token } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const resp = await fetch(path, opts);
  if (resp.status === 204) {
    return null;
  }
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const field = data.field ? " (" + data.field + ")" : "";
    throw new Error(resp.status + ": " + (data.error || resp.statusText) + field);
  }
  return data;
}

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text === undefined || text === null ? "" : String(text);
  if (cls) {
    td.className = cls;
  }
  row.appendChild(td);
  return td;
}

function age(d) {
  if (d.oldest_age_seconds === null || d.oldest_age_seconds === undefined) {
    return "n/a";
  }
  const total = d.visible + d.in_flight + d.delayed;
  return total === 0 ? "-" : Math.round(d.oldest_age_seconds) + "s";
}

async function loadQueues() {
  const rep = await call("GET", "/v1/queues");
  const body = $("#queues tbody");
  body.replaceChildren();
  const select = $("#dlq-queue");
  const chosen = select.value;
  select.replaceChildren();
  for (const q of rep.queues) {
    const tr = document.createElement("tr");
    tr.dataset.role = q.role;
    cell(tr, q.role);
    cell(tr, q.queue.name);
    cell(tr, q.queue.visible, "num visible");
    cell(tr, q.queue.in_flight, "num in-flight");
    cell(tr, q.queue.delayed, "num delayed");
    cell(tr, age(q.queue));
    cell(tr, q.dlq.visible + q.dlq.in_flight + q.dlq.delayed, "num dlq");
    const td = cell(tr, "");
    const show = document.createElement("button");
    show.type = "button";
    show.textContent = "Dead letters";
    show.className = "show-dlq";
    show.addEventListener("click", () => { select.value = q.role; loadDLQ().catch((e) => status(e.message, true)); });
    td.appendChild(show);
    body.appendChild(tr);
    const opt = document.createElement("option");
    opt.value = q.role;
    opt.textContent = q.dlq.name;
    select.appendChild(opt);
  }
  if (chosen) {
    select.value = chosen;
  }
}

async function loadDLQ() {
  const role = $("#dlq-queue").value;
  const rep = await call("GET", "/v1/dlq/" + encodeURIComponent(role) + "?n=50");
  const body = $("#dlq-messages");
  body.replaceChildren();
  for (const m of rep.messages) {
    const tr = document.createElement("tr");
    tr.dataset.messageId = m.message_id;
    cell(tr, m.message_id);
    cell(tr, m.job ? m.job.id + " (" + m.job.type + ")" : "undecodable: " + (m.decode_error || ""));
    cell(tr, m.reason, "reason");
    cell(tr, m.receive_count, "num");
    cell(tr, m.first_seen || "");
    const td = cell(tr, "");
    const del = document.createElement("button");
    del.type = "button";
    del.className = "delete";
    del.textContent = "Delete";
    del.addEventListener("click", async () => {
      if (del.dataset.armed !== "yes") {
        del.dataset.armed = "yes";
        del.textContent = "Delete for good?";
        return;
      }
      try {
        await call("DELETE", "/v1/dlq/" + encodeURIComponent(role) + "/" + encodeURIComponent(m.message_id));
        status("deleted message " + m.message_id);
        await Promise.all([loadDLQ(), loadQueues()]);
      } catch (e) {
        status(e.message, true);
      }
    });
    td.appendChild(del);
    body.appendChild(tr);
  }
  status(rep.messages.length + " messages in " + rep.queue);
}

async function redrive() {
  const role = $("#dlq-queue").value;
  const jobType = $("#dlq-type").value.trim();
  const res = await call("POST", "/v1/dlq/" + encodeURIComponent(role) + "/redrive", jobType ? { job_type: jobType } : {});
  status(res.task_handle ? "redrive started (move task " + res.task_handle + ")" : "moved " + res.moved + " messages back to their queue");
  await Promise.all([loadDLQ(), loadQueues()]);
}

function showRecord(into, rec) {
  const p = document.createElement("p");
  p.textContent = rec.address + ": ";
  const verdict = document.createElement("span");
  const active = rec.active || [];
  verdict.className = active.length ? "suppressed" : "clear";
  verdict.textContent = active.length ? "suppressed (" + active.join(", ") + ")" : "may be mailed";
  p.appendChild(verdict);
  into.appendChild(p);
  const ul = document.createElement("ul");
  for (const e of rec.entries || []) {
    const li = document.createElement("li");
    li.textContent = e.reason + " from " + e.source + ", since " + e.created_at + " by " + e.created_by + (e.note ? ": " + e.note : "");
    ul.appendChild(li);
  }
  into.appendChild(ul);
}

async function checkAddress() {
  const addr = $("#supp-address").value.trim();
  const out = $("#supp-result");
  out.replaceChildren();
  const res = await call("GET", "/v1/suppressions?address=" + encodeURIComponent(addr));
  showRecord(out, { address: res.record.address, active: res.active, entries: res.record.entries });
}

async function listSuppressed() {
  const out = $("#supp-result");
  out.replaceChildren();
  const res = await call("GET", "/v1/suppressions?limit=100");
  if (res.records.length === 0) {
    out.textContent = "no address is suppressed";
  }
  for (const r of res.records) {
    showRecord(out, { address: r.address, active: [...new Set(r.entries.map((e) => e.reason))], entries: r.entries });
  }
}

function guard(fn) {
  return (ev) => {
    if (ev) {
      ev.preventDefault();
    }
    fn().catch((e) => status(e.message, true));
  };
}

function start() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    token = decodeURIComponent(m[1]);
    sessionStorage.setItem("quarry-token", token);
    history.replaceState(null, "", location.pathname);
  }
  $("#token").value = token;
  $("#auth").addEventListener("submit", guard(async () => {
    token = $("#token").value.trim();
    sessionStorage.setItem("quarry-token", token);
    await loadQueues();
    status("token in use");
  }));
  $("#queues-refresh").addEventListener("click", guard(loadQueues));
  $("#dlq-form").addEventListener("submit", guard(loadDLQ));
  $("#dlq-redrive").addEventListener("click", guard(redrive));
  $("#supp-form").addEventListener("submit", guard(checkAddress));
  $("#supp-list").addEventListener("click", guard(listSuppressed));
  if (token) {
    guard(loadQueues)();
  } else {
    status("give a bearer token to start (quarry token issue --sub you)");
  }
  setInterval(() => { if (token && !document.hidden) { loadQueues().catch((e) => status(e.message, true)); } }, 5000);
}

start();
