// The class run page: fill the learners x checks matrix as results arrive.
(function () {
  "use strict";
  const table = document.querySelector("table.matrix");
  const state = document.querySelector(".run-state");
  if (!table || !state || state.dataset.live !== "true") return;
  const symbols = { pass: "✓", fail: "✗", error: "!", skipped: "–", ungraded: "∅" };
  const run = table.dataset.run;
  const es = new EventSource("/class/runs/" + encodeURIComponent(run) + "/events");
  const row = (id) => Array.from(table.querySelectorAll("tr[data-learner]")).find((r) => r.dataset.learner === id);
  es.addEventListener("check", (ev) => {
    const e = JSON.parse(ev.data);
    const key = e.learner + "|" + e.check;
    const cell = Array.from(table.querySelectorAll("td[data-cell]")).find((c) => c.dataset.cell === key);
    if (!cell) return;
    cell.className = "cell cell-" + e.status;
    cell.textContent = symbols[e.status] || "·";
  });
  es.addEventListener("learner", (ev) => {
    const e = JSON.parse(ev.data);
    const r = row(e.learner);
    if (!r) return;
    r.querySelector(".total").textContent = e.total;
    r.querySelector(".status").textContent = e.status;
    r.classList.add("graded");
    if (e.status !== "graded") {
      // Unreachable or a grader error: its checks will never come.
      r.querySelectorAll("td.cell-pending").forEach((c) => {
        c.className = "cell cell-ungraded";
        c.textContent = symbols.ungraded;
      });
    }
  });
  es.addEventListener("done", () => {
    es.close();
    // The scores, the changes since the previous run and the checks most
    // often failed are the server's, on the finished run's page.
    state.textContent = "Finished. ";
    const more = document.createElement("a");
    more.href = location.pathname;
    more.className = "show-summary";
    more.textContent = "Show the scores and the summary";
    state.append(more);
    state.dataset.live = "false";
    state.classList.add("finished");
  });
})();
