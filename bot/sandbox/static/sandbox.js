// The sandbox page: long-polls its state from the emulator and turns clicks into requests.
// Message, modal and Home HTML comes already rendered and escaped by bot/sandbox/render.py;
// names in the sidebar are set with textContent, so nothing here builds HTML from text.
"use strict";

const API = "/sandbox/ui";
const HOME = "home";
const params = new URLSearchParams(location.search);
const page = {
  user: params.get("user") || "",
  conv: params.get("conv") || "",
  version: -1,
  poll: null,
  homeAsked: false, // Home chosen before the first state named this page's person
  shown: { messages: null, modalKey: null, sidebar: null },
};

const $ = (id) => document.getElementById(id);

async function post(path, body) {
  const response = await fetch(`${API}/${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user: page.user, ...body }),
  });
  const answer = await response.json().catch(() => ({ ok: false, problem: "no answer" }));
  if (!answer.ok && answer.problem && !answer.errors) toast(answer.problem);
  return answer;
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 5000);
}

// -- the long poll ----------------------------------------------------------------------
async function pollForever() {
  for (;;) {
    const control = new AbortController();
    page.poll = control;
    const query = new URLSearchParams({ user: page.user, conv: page.conv, since: page.version });
    try {
      const response = await fetch(`${API}/state?${query}`, { signal: control.signal });
      const state = await response.json();
      if (!control.signal.aborted) apply(state);
    } catch (error) {
      if (error.name !== "AbortError") await new Promise((done) => setTimeout(done, 1000));
    }
  }
}

function refresh() {
  page.version = -1;
  page.shown.messages = null;
  if (page.poll) page.poll.abort();
  history.replaceState(null, "", `?${new URLSearchParams({ user: page.user, conv: page.conv })}`);
}

function apply(state) {
  page.version = state.version;
  page.user = state.me.id;
  page.conv = state.conversation.id;
  renderSidebar(state);
  renderConversation(state.conversation);
  renderModal(state.modal);
  document.body.dataset.user = state.me.id;
  document.body.dataset.conv = state.conversation.id;
  if (page.homeAsked) {
    page.homeAsked = false;
    openHome();
  }
}

// -- sidebar ------------------------------------------------------------------------------
function renderSidebar(state) {
  const key = JSON.stringify([state.people, state.channels, state.dm, page.conv, page.user]);
  if (key === page.shown.sidebar) return;
  page.shown.sidebar = key;
  const switcher = $("user-switcher");
  switcher.replaceChildren(...state.people.map((p) => {
    // Whole names fit the sidebar; the role is shown under the switcher and in the header.
    const option = new Option(p.name, p.id);
    option.title = p.title;
    option.selected = p.id === state.me.id;
    return option;
  }));
  $("channel-list").replaceChildren(...state.channels.map((c) => convItem(c.id, `# ${c.name}`, c.unread)));
  $("dm-list").replaceChildren(convItem(state.dm.id, `● ${state.dm.name}`, state.dm.unread));
  $("home-tab").classList.toggle("active", page.conv === HOME);
  $("me").textContent = `${state.me.name} · ${state.me.title}`;
  $("me-title").textContent = state.me.title;
}

function convItem(id, label, unread) {
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "conv" + (id === page.conv ? " active" : "") + (unread ? " unread" : "");
  button.dataset.conv = id;
  button.textContent = label;
  if (unread && id !== page.conv) {
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = String(unread);
    button.append(badge);
  }
  item.append(button);
  return item;
}

// -- conversation and modal ----------------------------------------------------------------
function renderConversation(conv) {
  $("conv-title").textContent = conv.title;
  const composer = $("composer-input");
  composer.disabled = conv.id === HOME;
  $("composer").querySelector("button").disabled = conv.id === HOME;
  composer.placeholder = conv.id === HOME ? "Home is read-only" : `Message ${conv.title}, or /mlops help`;
  if (conv.html === page.shown.messages) return;
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const first = page.shown.messages === null;
  box.innerHTML = conv.html;
  page.shown.messages = conv.html;
  if (first || atBottom) box.scrollTop = box.scrollHeight;
}

function renderModal(modal) {
  const layer = $("modal-layer");
  const key = modal ? `${modal.id}:${modal.hash}:${modal.html.length}:${modal.html}` : null;
  if (key === page.shown.modalKey) return;
  page.shown.modalKey = key;
  layer.hidden = !modal;
  layer.innerHTML = modal ? modal.html : "";
  // The first field Baton found a problem with, else the first field. A selector list would
  // match the first field of either kind in page order, so the two are asked in turn. The
  // set-up form is long: an error below the fold must be scrolled to, or Create looks dead.
  const errored = layer.querySelector(".bk-has-error");
  const first = (errored || layer).querySelector("[data-input]");
  if (first) first.focus({ preventScroll: true });
  if (errored) errored.scrollIntoView({ block: "center" });
}

// -- what a person does ---------------------------------------------------------------------
function chooseConversation(id) {
  page.conv = id;
  refresh();
  if (id === HOME) openHome();
}

// Opening Home publishes it (app_home_opened), for a person: before the first state arrives
// the page may not know whose it is yet, so it opens Home as soon as it does.
function openHome() {
  if (page.user) post("home", {});
  else page.homeAsked = true;
}

function switchPerson(id) {
  const wasDm = page.conv.startsWith("D");
  page.user = id;
  if (wasDm) page.conv = "";
  refresh();
  if (page.conv === HOME) openHome();
}

function clickTarget(element) {
  const base = { block_id: element.dataset.blockId, action_id: element.dataset.actionId };
  const message = element.closest("article.msg");
  if (message) return { ...base, surface: "message", channel: message.dataset.channel, ts: message.dataset.ts };
  const view = element.closest("[data-view-id]");
  return view ? { ...base, surface: "view", view_id: view.dataset.viewId } : null;
}

async function act(element, selected) {
  const target = clickTarget(element);
  if (!target) return;
  element.disabled = true;
  try {
    await post("action", selected === undefined ? target : { ...target, selected });
  } finally {
    element.disabled = false;
  }
}

function formValues(form) {
  const values = {};
  for (const control of form.querySelectorAll("[data-input]")) {
    // A multi-select answers with every picked option, comma-separated (Slack ids hold no comma).
    const picked = control.multiple ? [...control.selectedOptions].map((o) => o.value).join(",") : control.value;
    values[control.dataset.blockId] = picked;
  }
  return values;
}

document.addEventListener("click", (event) => {
  const conv = event.target.closest("button.conv");
  if (conv) return chooseConversation(conv.dataset.conv);
  const close = event.target.closest("[data-modal-close]");
  if (close) return post("close", { view_id: close.closest("form").dataset.viewId });
  const button = event.target.closest("button[data-action-id]");
  if (button && !button.dataset.input) act(button);
});

document.addEventListener("change", (event) => {
  const control = event.target;
  if (control.id === "user-switcher") return switchPerson(control.value);
  if (control.dataset.actionId && !control.dataset.input) act(control, control.value);
});

document.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  if (form.id === "composer") {
    const input = $("composer-input");
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    const answer = await post("compose", { channel: page.conv, text });
    if (!answer.ok) input.value = text;
  } else if (form.classList.contains("modal")) {
    const submit = form.querySelector("button[type=submit]");
    if (submit) submit.disabled = true;
    await post("submit", { view_id: form.dataset.viewId, values: formValues(form) });
    if (submit) submit.disabled = false;
  }
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !$("modal-layer").hidden) {
    const form = $("modal-layer").querySelector("form");
    if (form) post("close", { view_id: form.dataset.viewId });
  }
});

// The first screen says what to try; once dismissed it stays away in this browser.
const WELCOME_GONE = "baton-sandbox-welcome-dismissed";
$("welcome").hidden = localStorage.getItem(WELCOME_GONE) === "1";
$("welcome-close").addEventListener("click", () => {
  localStorage.setItem(WELCOME_GONE, "1");
  $("welcome").hidden = true;
});

pollForever();
// Scrolled down, the banner folds to its one-line heading: it sits above the scrolling list
// and, at full height, hid the titles of the cards scrolled up under it.
$("messages").addEventListener("scroll", (event) => {
  $("welcome").classList.toggle("welcome-folded", event.target.scrollTop > 0);
}, { passive: true });
