// The overlay: GET /events (Server-Sent Events) drawn as a score card and, optionally, the
// user's skeleton. Options come from the URL query and are checked against fixed lists;
// nothing that arrives is ever put into the page as markup.
"use strict";
(function () {
  const query = new URLSearchParams(window.location.search);
  const pick = (name, allowed, fallback) => {
    const value = query.get(name);
    return allowed.includes(value) ? value : fallback;
  };
  const theme = pick("theme", ["dark", "light"], "dark");
  const corner = pick("corner", ["top-left", "top-right", "bottom-left", "bottom-right"], "bottom-left");
  const skeletonOn = pick("skeleton", ["0", "1"], "1") === "1";
  const mirror = pick("mirror", ["0", "1"], "0") === "1";
  let scale = parseFloat(query.get("scale") || "1");
  if (!Number.isFinite(scale) || scale < 0.25 || scale > 6) scale = 1;

  document.body.classList.add(theme, corner);
  document.body.style.setProperty("--scale", String(scale));

  const card = document.getElementById("card");
  const scoreEl = document.getElementById("score");
  const gradeEl = document.getElementById("grade");
  const targetEl = document.getElementById("target");
  const countdownEl = document.getElementById("countdown");
  const fill = document.getElementById("fill");
  const canvas = document.getElementById("skeleton");
  const context = canvas.getContext("2d");
  // COCO-17 limbs, as the HUD draws them.
  const LIMBS = [[5, 7], [7, 9], [6, 8], [8, 10], [5, 6], [5, 11], [6, 12], [11, 12],
                 [11, 13], [13, 15], [12, 14], [14, 16], [0, 5], [0, 6]];
  const STOPS = [[0, [225, 60, 60]], [45, [245, 120, 40]], [65, [250, 195, 20]], [85, [80, 210, 90]], [100, [80, 210, 90]]];

  // Delays from each snapshot to its drawing, for bench/overlay_bench.py (?latency=1).
  const latencies = [];
  window.posesimOverlay = { latencies, events: 0, state: "waiting" };

  function scoreColour(score) {
    for (let i = 1; i < STOPS.length; i++) {
      const [s0, c0] = STOPS[i - 1], [s1, c1] = STOPS[i];
      if (score <= s1) {
        const t = s1 === s0 ? 0 : (score - s0) / (s1 - s0);
        return "rgb(" + c0.map((a, k) => Math.round(a + (c1[k] - a) * t)).join(",") + ")";
      }
    }
    return "rgb(80,210,90)";
  }

  function resize() {
    canvas.width = Math.round(window.innerWidth * window.devicePixelRatio);
    canvas.height = Math.round(window.innerHeight * window.devicePixelRatio);
  }
  window.addEventListener("resize", resize);
  resize();

  function drawSkeleton(joints) {
    context.clearRect(0, 0, canvas.width, canvas.height);
    if (!skeletonOn || !Array.isArray(joints) || joints.length !== 17) return;
    const w = canvas.width, h = canvas.height;
    const at = (j) => [(mirror ? 1 - j[0] : j[0]) * w, j[1] * h];
    context.lineCap = "round";
    context.lineWidth = Math.max(2, 6 * scale * window.devicePixelRatio);
    context.strokeStyle = "rgba(40, 200, 245, 0.95)";
    for (const [a, b] of LIMBS) {
      const ja = joints[a], jb = joints[b];
      if (!ja || !jb || ja[2] < 0.3 || jb[2] < 0.3) continue;
      const [x0, y0] = at(ja), [x1, y1] = at(jb);
      context.beginPath(); context.moveTo(x0, y0); context.lineTo(x1, y1); context.stroke();
    }
    context.fillStyle = "#ffffff";
    for (const j of joints) {
      if (!j || j[2] < 0.3) continue;
      const [x, y] = at(j);
      context.beginPath(); context.arc(x, y, context.lineWidth * 0.8, 0, 2 * Math.PI); context.fill();
    }
  }

  function show(status) {
    const state = String(status.state || "idle");
    window.posesimOverlay.state = state;
    card.classList.remove("waiting");
    card.classList.toggle("hidden", status.hud_visible === false);
    targetEl.textContent = status.target ? String(status.target) : "No target";
    const score = typeof status.score === "number" ? Math.max(0, Math.min(100, status.score)) : null;
    scoreEl.textContent = score === null ? "--" : String(Math.round(score));
    const colour = score === null ? "var(--muted)" : scoreColour(score);
    scoreEl.style.color = colour;
    fill.style.background = colour;
    fill.style.width = (score === null ? 0 : score) + "%";
    const words = { idle: "Pick a target", countdown: "Get ready", paused: "Paused", camera_lost: "Camera lost" };
    gradeEl.textContent = status.grade ? String(status.grade) : (words[state] || "");
    countdownEl.textContent =
      state === "countdown" && typeof status.countdown === "number"
        ? "Starts in " + Math.ceil(status.countdown)
        : state === "finished" ? "Final score" : "";
    drawSkeleton(status.skeleton);
  }

  function waiting() {
    window.posesimOverlay.state = "waiting";
    card.classList.add("waiting");
    card.classList.remove("hidden");
    scoreEl.textContent = "--";
    scoreEl.style.color = "var(--muted)";
    fill.style.width = "0%";
    gradeEl.textContent = "waiting for posesim-cam";
    countdownEl.textContent = "";
    drawSkeleton(null);
  }

  // EventSource reconnects by itself (the server asks for a retry after one second); while
  // the connection is down the card says so, quietly.
  const source = new EventSource("/events");
  source.onmessage = (message) => {
    let status;
    try { status = JSON.parse(message.data); } catch (error) { return; }
    if (!status || typeof status !== "object") return;
    window.posesimOverlay.events += 1;
    window.posesimOverlay.last = status;
    show(status);
    if (query.get("latency") === "1" && typeof status.t === "number") {
      requestAnimationFrame(() => latencies.push(Date.now() - status.t * 1000));
    }
  };
  source.onerror = waiting;
  waiting();
})();
