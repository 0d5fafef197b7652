// The notes panel: the signed-in user's notes, read and written through the BFF's token
// relay (/api/remote/notes/ → the example notes API), as an SPA calls its team's own API.
//
// - The browser sends only its session cookie and `X-CSRF: 1` (on every method, GET too);
//   the BFF attaches the user's access token. This script never sees a token.
// - The panel shows itself when the notes API answers: hidden while signed out (the BFF's
//   401) and when no notes API is configured (404). It checks again whenever the main screen
//   changes (sign-in, sign-out), without touching the main script.
// - Note text is always inserted as text.
"use strict";

(() => {
  const NOTES = "/api/remote/notes/notes";
  const SIGNED_OUT = new Set(["not_signed_in", "session_expired"]);
  const panel = document.getElementById("notes");
  const list = document.getElementById("notes-list");
  const form = document.getElementById("notes-form");
  const text = document.getElementById("notes-text");
  const problem = document.getElementById("notes-error");
  if (!panel || !list || !form || !text || !problem) return;

  async function call(method, path, body) {
    const headers = { "X-CSRF": "1", Accept: "application/json" };
    const init = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      return { status: 0, data: null };
    }
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await response.json().catch(() => null) : null;
    return { status: response.status, data };
  }

  function errorCode(data) {
    return data && data.error && typeof data.error === "object" ? data.error.code : null;
  }

  function say(answer) {
    const code = errorCode(answer.data);
    const message = (answer.data && answer.data.error && answer.data.error.message) || "";
    problem.textContent = answer.status === 0
      ? "The BFF did not answer."
      : `The notes API answered ${answer.status}${code ? ` (${code})` : ""}. ${message}`;
    problem.hidden = false;
  }

  function render(notes) {
    list.replaceChildren();
    for (const note of notes) {
      const item = document.createElement("li");
      item.dataset.id = note.id;
      const words = document.createElement("span");
      words.className = "note-text";
      words.textContent = note.text;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary";
      remove.textContent = "Delete";
      remove.setAttribute("aria-label", `Delete note: ${note.text}`);
      remove.addEventListener("click", () => removeNote(note.id));
      item.append(words, " ", remove);
      list.append(item);
    }
    if (!notes.length) {
      const empty = document.createElement("li");
      empty.className = "hint";
      empty.textContent = "No notes yet.";
      list.append(empty);
    }
  }

  // Answers whether the panel is in use: false when signed out or without a notes API.
  function handled(answer) {
    if (answer.status === 404 || SIGNED_OUT.has(errorCode(answer.data))) {
      panel.hidden = true;
      return false;
    }
    panel.hidden = false;
    return true;
  }

  async function load() {
    const answer = await call("GET", NOTES);
    if (!handled(answer)) return;
    if (answer.status !== 200 || !answer.data || !Array.isArray(answer.data.notes)) {
      say(answer);
      return;
    }
    problem.hidden = true;
    render(answer.data.notes);
  }

  async function removeNote(id) {
    const answer = await call("DELETE", `${NOTES}/${encodeURIComponent(id)}`);
    if (!handled(answer)) return;
    if (answer.status !== 204) say(answer);
    await load();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await call("POST", NOTES, { text: text.value });
    if (!handled(answer)) return;
    if (answer.status !== 201) {
      say(answer);
      return;
    }
    text.value = "";
    await load();
  });

  let pending = null;
  const screen = document.getElementById("screen");
  if (screen) {
    new MutationObserver(() => {
      clearTimeout(pending);
      pending = setTimeout(load, 100); // one check per burst of re-rendering
    }).observe(screen, { childList: true });
  }
  load();
})();
