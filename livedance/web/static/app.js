// livedance's control page: wires the controls the server generated from the registry to its
// WebSocket. Out: one small JSON object per change. In: the values the show applied (from any
// source), the HUD's status lines and the preview as JPEG frames. No eval, no libraries.
"use strict";

const controls = new Map(); // "name" or "name/index" -> {element, update(change)}
let socket = null;
let retry = 500;
let previewUrl = null;
window.livedance = {previews: 0, values: 0, connected: false};

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify(message));
  }
}

function key(name, index) {
  return index === undefined || index === null ? name : name + "/" + index;
}

// --- faders: 0..1 positions out, at most one per animation frame; feedback moves them unless held
function wireFader(input, name, index) {
  const output = input.parentElement.querySelector("output");
  let held = false;
  let pending = null;
  let later = null;
  const flush = () => {
    later = null;
    if (pending !== null) {
      send(pending);
      pending = null;
    }
  };
  input.addEventListener("input", () => {
    pending = {name: name, norm: parseFloat(input.value)};
    if (index !== undefined) pending.index = index;
    if (later === null) later = setTimeout(flush, 16);
  });
  const hold = () => { held = true; };
  const release = () => { held = false; };
  input.addEventListener("pointerdown", hold);
  input.addEventListener("pointerup", release);
  input.addEventListener("pointercancel", release);
  input.addEventListener("blur", release);
  controls.set(key(name, index), {
    element: input,
    update(change) {
      if (change.norm !== null && !held) input.value = change.norm;
      output.textContent = change.text;
    },
  });
}

function wire(div) {
  const name = div.dataset.name;
  const kind = div.dataset.control;
  if (kind === "fader") {
    wireFader(div.querySelector("input"), name);
  } else if (kind === "vector") {
    div.querySelectorAll("input").forEach((input) => wireFader(input, name, parseInt(input.dataset.index, 10)));
    controls.set(name, {
      element: div,
      update(change) {
        (change.value || []).forEach((v, i) => {
          const one = controls.get(key(name, i));
          if (one) one.update({norm: null, text: String(Math.round(v * 100) / 100)});
        });
      },
    });
  } else if (kind === "toggle") {
    const button = div.querySelector("button");
    button.addEventListener("click", () => send({name: name, op: "toggle"}));
    controls.set(name, {element: button, update(change) { button.setAttribute("aria-pressed", String(!!change.value)); }});
  } else if (kind === "trigger") {
    div.querySelector("button").addEventListener("click", () => send({name: name}));
  } else if (kind === "buttons") {
    const buttons = div.querySelectorAll("button");
    buttons.forEach((button) => {
      button.addEventListener("click", () => send({name: name, value: JSON.parse(button.dataset.value)}));
    });
    controls.set(name, {
      element: div,
      update(change) {
        buttons.forEach((b) => b.setAttribute("aria-pressed", String(JSON.parse(b.dataset.value) === change.value)));
      },
    });
  } else {
    const input = div.querySelector("input, select");
    const event = input.type === "color" ? "input" : "change";
    input.addEventListener(event, () => {
      const value = input.type === "number" ? parseInt(input.value, 10) : input.value;
      if (input.type !== "number" || Number.isFinite(value)) send({name: name, value: value});
    });
    controls.set(name, {
      element: input,
      update(change) {
        if (document.activeElement !== input || input.type === "color") input.value = change.value;
      },
    });
  }
}

function applyValues(changes) {
  for (const change of changes) {
    const control = controls.get(key(change.name, change.index));
    if (control) control.update(change);
    window.livedance.values += 1;
  }
}

function showPreview(blob) {
  const image = document.getElementById("preview");
  const url = URL.createObjectURL(blob);
  image.onload = () => { if (previewUrl && previewUrl !== url) URL.revokeObjectURL(previewUrl); previewUrl = url; };
  image.src = url;
  window.livedance.previews += 1;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  socket = new WebSocket(scheme + location.host + "/ws" + location.search);
  socket.binaryType = "blob";
  const state = document.getElementById("connection");
  socket.onopen = () => {
    retry = 500;
    state.textContent = "live";
    state.className = "online";
    window.livedance.connected = true;
  };
  socket.onmessage = (event) => {
    if (typeof event.data !== "string") {
      showPreview(event.data);
      return;
    }
    const message = JSON.parse(event.data);
    if (message.type === "values") applyValues(message.values);
    else if (message.type === "status") document.getElementById("status").textContent = message.lines.join("\n");
  };
  socket.onclose = () => {
    state.textContent = "offline";
    state.className = "offline";
    window.livedance.connected = false;
    setTimeout(connect, retry); // a page that reconnects gets the current state at once
    retry = Math.min(retry * 2, 5000);
  };
}

// --- the window's keys, from the table the server embedded
const keys = JSON.parse(document.getElementById("keys").textContent);
document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement) return; // a fader's own arrows
  const message = keys[event.key];
  if (message === undefined) return;
  event.preventDefault();
  send(message);
});

document.querySelectorAll("[data-control]").forEach(wire);
connect();
