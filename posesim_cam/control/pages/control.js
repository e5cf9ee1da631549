// The control page: only the documented API (docs/control-api.md). The token is asked for
// once and kept in this browser's localStorage; it travels in the Authorization header,
// never in a URL. Text from the server is set as text, never as markup.
"use strict";
(function () {
  const KEY = "posesim-cam token";
  const $ = (id) => document.getElementById(id);
  let token = localStorage.getItem(KEY) || "";
  let current = null;

  function say(text) { $("message").textContent = text || ""; }

  async function api(method, path, body, headers) {
    const options = { method, headers: Object.assign({ Authorization: "Bearer " + token }, headers || {}) };
    if (body !== undefined) {
      if (body instanceof Blob) { options.body = body; }
      else { options.body = JSON.stringify(body); options.headers["Content-Type"] = "application/json"; }
    }
    const response = await fetch(path, options);
    let data = {};
    try { data = await response.json(); } catch (error) { data = {}; }
    if (response.status === 401) { showLogin("That token is not the one posesim-cam has."); throw new Error("token"); }
    if (!response.ok) { throw new Error(data.error || ("The request failed (" + response.status + ")")); }
    return data;
  }

  function cell(row, text) { const td = document.createElement("td"); td.textContent = text; row.appendChild(td); return td; }
  function button(label, onClick) { const b = document.createElement("button"); b.type = "button"; b.textContent = label; b.addEventListener("click", onClick); return b; }
  const fmt = (score) => (typeof score === "number" ? String(Math.round(score)) : "–");

  async function refreshLibrary() {
    const data = await api("GET", "/library");
    const body = $("library");
    body.replaceChildren();
    for (const item of data.targets) {
      const row = document.createElement("tr");
      row.dataset.name = item.name;
      if (item.name === current) row.classList.add("current");
      cell(row, item.name);
      cell(row, item.duration.toFixed(1) + " s");
      cell(row, fmt(item.personal_best));
      const actions = cell(row, "");
      actions.appendChild(button("Start", () => run(() => api("POST", "/target", { name: item.name }), "Starting " + item.name)));
      actions.appendChild(button("Remove", async () => {
        if (!confirm("Remove " + item.name + " from the library?")) return;
        await run(() => api("DELETE", "/library/" + encodeURIComponent(item.name)), "Removed " + item.name);
        refreshLibrary();
      }));
      body.appendChild(row);
    }
  }

  async function refreshHistory() {
    const data = await api("GET", "/history?limit=20");
    const body = $("history");
    body.replaceChildren();
    for (const s of data.sessions) {
      const row = document.createElement("tr");
      cell(row, s.date ? s.date.replace("T", " ").replace("+00:00", " UTC") : "");
      cell(row, s.target);
      cell(row, fmt(s.score));
      cell(row, s.grade || "");
      cell(row, fmt(s.personal_best));
      body.appendChild(row);
    }
  }

  async function run(action, done) {
    try { await action(); say(done); } catch (error) { if (error.message !== "token") say(error.message); }
  }

  function showLogin(text) {
    $("app").hidden = true; $("forget").hidden = true; $("login").hidden = false;
    say(text || "");
  }

  async function start() {
    $("login").hidden = true;
    try { await refreshLibrary(); } catch (error) { if (error.message !== "token") say(error.message); return; }
    $("app").hidden = false; $("forget").hidden = false;
    refreshHistory().catch((error) => say(error.message));
  }

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    token = $("token").value.trim();
    localStorage.setItem(KEY, token);
    $("token").value = "";
    start();
  });
  $("forget").addEventListener("click", () => { localStorage.removeItem(KEY); token = ""; showLogin(""); });
  for (const b of document.querySelectorAll("button[data-command]")) {
    b.addEventListener("click", () => run(() => api("POST", b.dataset.command), b.textContent.trim()));
  }
  for (const b of document.querySelectorAll("button[data-step]")) {
    b.addEventListener("click", () => run(() => api("POST", "/target", { step: b.dataset.step }), b.textContent.trim()));
  }
  $("add-path").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = { path: $("path").value.trim() };
    if ($("path-name").value.trim()) body.name = $("path-name").value.trim();
    say("Preparing the video…");
    run(async () => { const r = await api("POST", "/library", body); $("path").value = ""; $("path-name").value = ""; await refreshLibrary(); return r; }, "Added");
  });
  $("add-upload").addEventListener("submit", (event) => {
    event.preventDefault();
    const file = $("file").files[0];
    if (!file) return;
    const name = $("upload-name").value.trim();
    const dot = file.name.lastIndexOf(".");
    const suffix = dot > 0 ? file.name.slice(dot + 1).toLowerCase() : "mp4";
    const path = "/library/upload?name=" + encodeURIComponent(name) + "&suffix=" + encodeURIComponent(suffix);
    say("Uploading and preparing…");
    run(async () => { await api("POST", path, file, { "Content-Type": "application/octet-stream" }); await refreshLibrary(); }, "Added " + name);
  });

  // The live score needs no token: the same events the overlay reads.
  const events = new EventSource("/events");
  let lastState = null;
  events.onmessage = (message) => {
    let s;
    try { s = JSON.parse(message.data); } catch (error) { return; }
    $("connection").textContent = "connected";
    $("live-target").textContent = s.target ? String(s.target) : "No target";
    $("live-score").textContent = fmt(s.score);
    $("live-state").textContent = String(s.state) + (s.grade ? " · " + s.grade : "");
    if (s.target !== current) {
      current = s.target;
      for (const row of $("library").children) row.classList.toggle("current", row.dataset.name === current);
    }
    if (s.state === "finished" && lastState !== "finished" && !$("app").hidden) refreshHistory().catch(() => {});
    lastState = s.state;
  };
  events.onerror = () => { $("connection").textContent = "waiting for posesim-cam…"; };

  if (token) start(); else showLogin("");
})();
