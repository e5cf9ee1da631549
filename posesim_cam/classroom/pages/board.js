// The class board: polls /board.json and moves each student's row to their rank.
"use strict";
(function () {
  const params = new URLSearchParams(location.search);
  if (params.has("transparent")) document.body.classList.add("transparent");
  const showFinals = params.get("finals") !== "0";
  const list = document.getElementById("players");
  const empty = document.getElementById("empty");
  const link = document.getElementById("link");
  const title = document.getElementById("class-name");
  const finals = document.getElementById("finals");
  const rows = new Map(); // player name -> li
  const rowHeight = () => parseFloat(getComputedStyle(document.documentElement)
    .getPropertyValue("--row")) || 52;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text; // text only: names never become markup
    return node;
  }

  function band(score) {
    return score === null ? "" : score >= 80 ? "good" : score >= 50 ? "mid" : "low";
  }

  function renderPlayers(players) {
    const seen = new Set();
    let rank = 0, previous = undefined;
    players.forEach((p, i) => {
      if (p.score !== previous) { rank = i + 1; previous = p.score; }
      seen.add(p.name);
      let li = rows.get(p.name);
      if (!li) {
        li = el("li");
        li.append(el("span", "rank"), el("span", "name"), el("span", "target"), el("span", "score"));
        li.style.opacity = "0";
        list.append(li);
        rows.set(p.name, li);
        requestAnimationFrame(() => { li.style.opacity = ""; });
      }
      li.dataset.rank = String(i + 1);
      li.className = p.state === "away" || p.state === "left" ? "away" : "";
      li.children[0].textContent = p.score === null ? "–" : String(rank);
      li.children[1].textContent = p.name;
      li.children[2].textContent = p.target || "";
      li.children[3].textContent = p.score === null ? "–" : String(Math.round(p.score));
      li.children[3].className = "score " + band(p.score);
      li.style.transform = `translateY(${i * rowHeight()}px)`;
    });
    for (const [name, li] of rows) {
      if (!seen.has(name)) { li.remove(); rows.delete(name); }
    }
    list.style.height = `${players.length * rowHeight()}px`;
    empty.hidden = players.length > 0;
  }

  function renderFinals(targets) {
    finals.replaceChildren();
    if (!showFinals) return;
    for (const target of targets) {
      finals.append(el("h2", "", `Final: ${target.target}`));
      const table = el("table");
      for (const row of target.players) {
        const tr = el("tr");
        tr.append(el("td", "num", String(row.rank)), el("td", "", row.player),
                  el("td", "", row.grade || ""), el("td", "num", row.score.toFixed(1)));
        table.append(tr);
      }
      finals.append(table);
    }
  }

  async function poll() {
    try {
      const response = await fetch("/board.json", { cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      const board = await response.json();
      title.textContent = board.class;
      link.textContent = board.online ? "live" : "class server offline";
      link.classList.toggle("offline", !board.online);
      renderPlayers(board.players);
      renderFinals(board.finals);
    } catch (error) {
      link.textContent = "board not reachable";
      link.classList.add("offline");
    }
    setTimeout(poll, 500);
  }
  poll();
})();
