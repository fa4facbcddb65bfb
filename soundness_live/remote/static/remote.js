// The therapist's remote: one page, live over a WebSocket, HTTP polling when a socket cannot
// connect (iOS with a self-signed certificate, some proxies). Text only through textContent.
"use strict";

const POLL_MS = 1000; // the polling fallback's period
const SOCKET_RETRY_MS = [1000, 2000, 5000, 10000]; // tries again, slower each time
const REPLY_TIMEOUT_MS = 10000;
const VOLUME_STEP_DB = 3;

const page = {
  socket: null, // the live socket while open
  socketFailures: 0,
  polling: null, // the polling timer while the socket is down
  pending: new Map(), // command id -> {resolve, timer}
  nextId: 1,
  state: {},
  levels: [],
  volumeRange: [-60, 0],
  children: [],
  reachable: true,
  paired: false,
  summary: { session: null, outcomes: {}, levels: {} },
};

const $ = (id) => document.getElementById(id);

function setLink(text, down) {
  const link = $("link");
  link.textContent = text;
  link.classList.toggle("down", Boolean(down));
}

function notice(text) {
  $("notice").textContent = text || "";
}

// -- pairing -----------------------------------------------------------------------------------
function showPairing(why) {
  page.paired = false;
  closeSocket();
  stopPolling();
  $("controls").hidden = true;
  $("pairing").hidden = false;
  setLink(why || "not paired", true);
}

function showControls() {
  page.paired = true;
  $("pairing").hidden = true;
  $("controls").hidden = false;
}

async function pair(event) {
  event.preventDefault();
  const code = $("pair-code").value.trim();
  const message = $("pair-message");
  if (!/^[0-9]{6}$/.test(code)) {
    message.textContent = "The code is 6 digits.";
    return;
  }
  message.textContent = "Pairing…";
  let response;
  try {
    response = await fetch("/api/pair", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code, name: $("pair-name").value }),
      credentials: "same-origin",
    });
  } catch (error) {
    message.textContent = "The laptop cannot be reached.";
    return;
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    message.textContent = body.error || `Pairing failed (${response.status}).`;
    return;
  }
  message.textContent = "";
  $("pair-code").value = "";
  await start();
}

// -- the engine's messages ---------------------------------------------------------------------
function received(msg) {
  if (msg.type === "state") {
    render(msg.state || {});
  } else if (msg.type === "hello") {
    hello(msg);
  } else if (msg.type === "trial") {
    countTrial(msg.trial || {}, msg.marked ? msg.was : undefined);
  } else if (msg.type === "notice") {
    notice(msg.text);
  } else if (msg.type === "engine") {
    page.reachable = Boolean(msg.reachable);
    linkStatus();
  } else if (msg.type === "reply") {
    const waiting = page.pending.get(msg.id);
    if (waiting) {
      clearTimeout(waiting.timer);
      page.pending.delete(msg.id);
      waiting.resolve(msg);
    }
  }
}

function hello(msg) {
  page.reachable = msg.reachable !== false;
  if (Array.isArray(msg.prompt_levels) && msg.prompt_levels.join() !== page.levels.join()) {
    page.levels = msg.prompt_levels; // drawn once: a poll must not take a finger's target away
    drawLevels();
  }
  if (Array.isArray(msg.volume_range_dbfs)) page.volumeRange = msg.volume_range_dbfs;
  linkStatus();
}

function linkStatus() {
  if (!page.reachable) {
    setLink("engine unreachable: the sound stopped being controlled from here", true);
  } else if (page.socket && page.socket.readyState === WebSocket.OPEN) {
    setLink("connected (live)", false);
  } else if (page.polling) {
    setLink("connected (polling)", false);
  }
}

// -- drawing the state -------------------------------------------------------------------------
function render(state) {
  page.state = state;
  $("now-child").textContent = state.child || "none";
  $("now-activity").textContent = state.activity
    ? `${state.activity}${state.variant ? " (" + state.variant + ")" : ""}${state.paused ? ", paused" : ""}`
    : "none";
  $("now-trial").textContent = state.trial ? `${state.trial.n} of ${state.trial.of}` : "–";
  $("now-result").textContent = state.last_result || "–";
  drawPlan(state.plan);
  drawVolume(state);
  drawDevices(state);
  drawTrials(state.recent_trials || []);
  const held = Boolean(state.paused);
  const pause = $("pause");
  pause.textContent = held ? "Resume" : "Pause";
  pause.dataset.command = held ? "resume" : "pause";
  for (const button of $("levels").querySelectorAll("button")) {
    button.setAttribute("aria-pressed", String(button.dataset.level === state.prompt_level));
  }
  if (state.child && $("child").value !== state.child && hasOption($("child"), state.child)) {
    $("child").value = state.child;
  }
  if (state.session_id !== page.summary.session && state.session_id != null) {
    page.summary = { session: state.session_id, outcomes: {}, levels: {} };
  }
}

function hasOption(select, value) {
  return Array.from(select.options).some((option) => option.value === value);
}

function drawPlan(plan) {
  const list = $("steps");
  list.replaceChildren();
  if (!plan) {
    $("now-plan").textContent = "none";
    return;
  }
  let said = `${plan.name}: ${plan.state}`;
  if (plan.countdown_s != null) said += `, next step in ${Math.ceil(plan.countdown_s)} s`;
  if (plan.held) said += ", waiting for you";
  $("now-plan").textContent = said;
  plan.steps.forEach((step, index) => {
    const item = document.createElement("li");
    item.textContent = `${step.label} (${step.status || "to come"})`;
    if (index === plan.current) item.setAttribute("aria-current", "step");
    list.append(item);
  });
}

function drawVolume(state) {
  const cap = state.volume_cap_dbfs;
  const ceiling = state.child_cap_dbfs;
  let text = cap == null ? "cap –" : `cap ${cap.toFixed(1)} dBFS`;
  if (ceiling != null) text += ` (the child's limit: ${ceiling.toFixed(1)} dBFS)`;
  $("volume").textContent = text;
  const top = ceiling != null ? Math.min(ceiling, page.volumeRange[1]) : page.volumeRange[1];
  $("louder").disabled = cap == null || cap >= top;
  $("quieter").disabled = cap == null || cap <= page.volumeRange[0];
}

function drawDevices(state) {
  const devices = state.child_devices || [];
  $("dev-child").textContent = devices.length ? devices.join(", ") : "none connected";
  $("dev-midi").textContent = state.midi_status || "–";
  $("dev-sound").textContent = state.sound_output || "–";
  $("dev-mic").textContent = state.microphone || "not checked";
  $("dev-underruns").textContent = String(state.underruns || 0);
}

function countTrial(trial, was) {
  const { outcomes, levels } = page.summary;
  if (was !== undefined) { // a trial seen before, its prompt level marked after it ended
    if (levels[was] && --levels[was] === 0) delete levels[was];
  } else {
    outcomes[trial.outcome] = (outcomes[trial.outcome] || 0) + 1;
  }
  levels[trial.prompt_level] = (levels[trial.prompt_level] || 0) + 1;
}

function markedWords(reply) {
  const level = String(reply.prompt_level || "").replaceAll("_", " ");
  const trial = Number.isInteger(reply.index) ? `trial ${reply.index + 1}` : "this trial";
  if (reply.marked === "trial in progress") return `${level}: ${trial} (in progress)`;
  return `${level}: ${trial}, marked after it ended (was ${String(reply.was || "no level").replaceAll("_", " ")})`;
}

const words = (counts) =>
  Object.entries(counts).map(([name, n]) => `${n} ${name.replaceAll("_", " ")}`).join(", ");

function drawTrials(trials) {
  const list = $("trials");
  list.replaceChildren();
  for (const trial of trials) {
    const item = document.createElement("li");
    const figures = Object.entries(trial.figures || {})
      .map(([name, value]) => `${name.replaceAll("_", " ")} ${typeof value === "number" ? +value.toFixed(2) : value}`)
      .join(", ");
    item.textContent = `trial ${trial.index + 1} ${trial.activity}: ${trial.outcome.replaceAll("_", " ")}, ${trial.prompt_level.replaceAll("_", " ")}${figures ? "; " + figures : ""}`;
    list.append(item);
  }
  const { session: seen, outcomes, levels } = page.summary;
  const open = page.state.session_id;
  let text = open != null ? `Session ${open} is open.` : "No session open.";
  if (open == null && seen != null) text += ` Session ${seen} ended.`;
  const total = Object.values(outcomes).reduce((sum, n) => sum + n, 0);
  if (total) {
    text += ` ${total} trial(s) seen on this device: ${words(outcomes)}; prompt levels: ${words(levels)}.`;
  }
  $("summary").textContent = text;
}

function drawLevels() {
  const group = $("levels");
  group.replaceChildren();
  for (const level of page.levels) {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.level = level;
    button.textContent = level.replaceAll("_", " ");
    button.setAttribute("aria-pressed", String(level === page.state.prompt_level));
    button.addEventListener("click", async () => {
      const reply = await command("set_prompt_level", { level });
      if (reply.ok) notice(markedWords(reply)); // which trial the level went to
    });
    group.append(button);
  }
}

// -- commands ----------------------------------------------------------------------------------
async function command(name, fields = {}) {
  let reply;
  try {
    reply = page.socket && page.socket.readyState === WebSocket.OPEN
      ? await socketCommand(name, fields)
      : await httpCommand(name, fields);
  } catch (error) {
    reply = { ok: false, error: "the laptop cannot be reached" };
  }
  notice(reply.ok ? "" : reply.error);
  if (reply.ok && reply.state) render(reply.state);
  return reply;
}

function socketCommand(name, fields) {
  const id = page.nextId++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      page.pending.delete(id);
      resolve({ ok: false, error: `no answer to ${name} within ${REPLY_TIMEOUT_MS / 1000} s` });
    }, REPLY_TIMEOUT_MS);
    page.pending.set(id, { resolve, timer });
    page.socket.send(JSON.stringify({ id, command: name, ...fields }));
  });
}

async function httpCommand(name, fields) {
  const response = await fetch("/api/command", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ command: name, ...fields }),
    credentials: "same-origin",
  });
  if (response.status === 401) {
    showPairing("this device is no longer paired");
    return { ok: false, error: "this device is no longer paired" };
  }
  return response.json();
}

async function loadCatalog() {
  const reply = await command("catalog");
  if (!reply.ok) return;
  page.children = reply.children || [];
  const select = $("child");
  select.replaceChildren();
  for (const child of page.children) {
    const option = document.createElement("option");
    option.value = child.code;
    option.textContent = child.display_name ? `${child.code} – ${child.display_name}` : child.code;
    select.append(option);
  }
  if (page.state.child && hasOption(select, page.state.child)) select.value = page.state.child;
  await loadPlans();
}

async function loadPlans() {
  const child = $("child").value;
  const reply = await command("plans", child ? { child } : {});
  const select = $("plan");
  const chosen = select.value; // kept when the new child can run it too
  select.replaceChildren();
  for (const plan of reply.plans || []) {
    if (plan.error) continue;
    const option = document.createElement("option");
    option.value = plan.name;
    option.textContent = `${plan.name} (${plan.kind}, ${plan.steps.length} steps)`;
    select.append(option);
  }
  if (chosen && hasOption(select, chosen)) select.value = chosen;
}

async function startPlan() {
  const input = document.querySelector('input[name="input"]:checked').value;
  const fields = { plan: $("plan").value, input };
  if ($("child").value) fields.child = $("child").value;
  await command("start_plan", fields);
}

function changeVolume(step) {
  const cap = page.state.volume_cap_dbfs;
  if (cap == null) return;
  const [low, high] = page.volumeRange;
  const ceiling = page.state.child_cap_dbfs ?? high;
  const wanted = Math.max(low, Math.min(cap + step, ceiling, high));
  command("set_volume_cap", { dbfs: wanted });
}

async function saveNote() {
  const text = $("note").value.trim();
  if (!text) return;
  const reply = await command("add_note", { text });
  if (reply.ok) {
    $("note").value = "";
    notice("Note saved.");
  }
}

// -- the live socket and the polling fallback --------------------------------------------------
function openSocket() {
  if (!page.paired || (page.socket && page.socket.readyState <= WebSocket.OPEN)) return;
  let socket;
  try {
    socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/live`);
  } catch (error) {
    socketFailed();
    return;
  }
  page.socket = socket;
  socket.onopen = () => {
    page.socketFailures = 0;
    stopPolling();
    linkStatus();
  };
  socket.onmessage = (event) => {
    try {
      received(JSON.parse(event.data));
    } catch (error) {
      notice("a message from the laptop could not be read");
    }
  };
  socket.onclose = (event) => {
    if (page.socket === socket) page.socket = null;
    for (const [id, waiting] of page.pending) {
      clearTimeout(waiting.timer);
      waiting.resolve({ ok: false, error: "the connection closed" });
      page.pending.delete(id);
    }
    if (event.code === 4401) {
      showPairing("this device's pairing was revoked on the laptop");
      return;
    }
    if (event.code === 4409) {
      startPolling(); // newer pages of this device hold its sockets: this one polls, not fights
      return;
    }
    socketFailed(); // poll meanwhile, and open it again (the remote may be restarting)
  };
}

function closeSocket() {
  if (page.socket) {
    const socket = page.socket;
    page.socket = null;
    socket.onclose = null;
    socket.close();
  }
}

function socketFailed() {
  if (!page.paired) return;
  startPolling();
  const wait = SOCKET_RETRY_MS[Math.min(page.socketFailures, SOCKET_RETRY_MS.length - 1)];
  page.socketFailures += 1;
  setTimeout(openSocket, wait);
}

function startPolling() {
  if (page.polling || !page.paired) return;
  page.polling = setInterval(poll, POLL_MS);
  poll();
}

function stopPolling() {
  if (page.polling) clearInterval(page.polling);
  page.polling = null;
}

async function poll() {
  let response;
  try {
    response = await fetch("/api/state", { credentials: "same-origin", cache: "no-store" });
  } catch (error) {
    setLink("the laptop is unreachable: check its Wi-Fi; trying again", true);
    return false;
  }
  if (response.status === 401) {
    showPairing("not paired");
    return false;
  }
  if (!response.ok) {
    setLink(`the laptop answered ${response.status}; trying again`, true);
    return false;
  }
  const body = await response.json();
  hello(body);
  render(body.state || {});
  return true;
}

async function start() {
  if (!(await poll())) return;
  showControls();
  linkStatus();
  if (!page.children.length) await loadCatalog();
  openSocket();
}

function resync() {
  // back from a locked screen or a sleeping tab: the state may be minutes old
  if (document.visibilityState !== "visible" || !page.paired) return;
  poll();
  openSocket();
}

document.addEventListener("DOMContentLoaded", () => {
  $("pair-form").addEventListener("submit", pair);
  for (const button of document.querySelectorAll("button[data-command]")) {
    button.addEventListener("click", () => command(button.dataset.command));
  }
  $("start").addEventListener("click", startPlan);
  $("child").addEventListener("change", async () => {
    await command("select_child", { child: $("child").value });
    await loadPlans();
  });
  $("quieter").addEventListener("click", () => changeVolume(-VOLUME_STEP_DB));
  $("louder").addEventListener("click", () => changeVolume(VOLUME_STEP_DB));
  $("save-note").addEventListener("click", saveNote);
  document.addEventListener("visibilitychange", resync);
  window.addEventListener("online", resync);
  window.addEventListener("pageshow", resync);
  start();
});
