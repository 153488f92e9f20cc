// labkit web app: copy buttons on code blocks, and check buttons that stream
// the grader's results into the page (server-sent events over a POST).
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

function addCopyButtons() {
  for (const pre of document.querySelectorAll(".prose pre")) {
    const btn = document.createElement("button");
    btn.type = "button";
    btn.className = "copy";
    btn.textContent = "Copy";
    btn.setAttribute("aria-label", "Copy this command");
    btn.addEventListener("click", async () => {
      const text = pre.querySelector("code")?.innerText ?? pre.innerText;
      try {
        await navigator.clipboard.writeText(text.replace(/\n$/, ""));
        btn.textContent = "Copied";
      } catch {
        btn.textContent = "Select and copy";
      }
      setTimeout(() => { btn.textContent = "Copy"; }, 1500);
    });
    // A bar above the block holds the button: inside the scrolling <pre>
    // it would cover the end of long lines.
    const block = document.createElement("div");
    block.className = "codeblock";
    const bar = document.createElement("div");
    bar.className = "codebar";
    bar.appendChild(btn);
    pre.replaceWith(block);
    block.append(bar, pre);
  }
}

// parseEvents splits a text/event-stream buffer into complete events and
// returns them with the unparsed rest.
function parseEvents(buf) {
  const events = [];
  let idx;
  while ((idx = buf.indexOf("\n\n")) >= 0) {
    const block = buf.slice(0, idx);
    buf = buf.slice(idx + 2);
    let name = "message", data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) name = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    events.push({ name, data });
  }
  return [events, buf];
}

// refreshSidebar shows the new score and step counts after a check run.
function refreshSidebar(done) {
  const score = document.querySelector(".toc-score");
  if (score && done.score) score.textContent = done.score;
  for (const [step, count] of Object.entries(done.steps || {})) {
    const li = document.querySelector(`.steps li[data-step="${CSS.escape(step)}"]`);
    if (!li) continue;
    li.querySelector(".step-count").textContent = count;
    const [passed, total] = count.split("/").map(Number);
    li.classList.toggle("step-done", total > 0 && passed === total);
  }
}

async function runCheck(btn) {
  const lab = document.querySelector("article[data-lab]")?.dataset.lab;
  const list = btn.parentElement.querySelector(".check-results");
  if (!lab || !list || btn.getAttribute("aria-busy") === "true") return;
  btn.setAttribute("aria-busy", "true");
  btn.disabled = true;
  list.replaceChildren();
  const status = document.createElement("li");
  status.className = "check-status";
  status.textContent = "Starting…";
  list.appendChild(status);
  try {
    const resp = await fetch(`/labs/${encodeURIComponent(lab)}/check`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf },
      body: new URLSearchParams({ step: btn.dataset.step }),
    });
    if (!resp.ok || !resp.body) {
      status.textContent = (await resp.text()) || `The check could not start (${resp.status}).`;
      return;
    }
    const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      let events;
      [events, buf] = parseEvents(buf + value);
      for (const ev of events) {
        const payload = JSON.parse(ev.data);
        if (ev.name === "start") {
          status.textContent = payload.html;
        } else if (ev.name === "result") {
          // The server renders (and escapes) each result with html/template.
          status.insertAdjacentHTML("beforebegin", payload.html);
        } else if (ev.name === "done") {
          status.remove();
          list.insertAdjacentHTML("beforeend", payload.html);
          refreshSidebar(payload);
        }
      }
    }
  } catch (err) {
    status.textContent = "The connection to the lab app was lost: " + err;
  } finally {
    btn.removeAttribute("aria-busy");
    btn.disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  addCopyButtons();
  for (const btn of document.querySelectorAll("button.check-button")) {
    btn.addEventListener("click", () => runCheck(btn));
  }
});
