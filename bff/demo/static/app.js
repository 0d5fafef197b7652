// The demo SPA: drives sign-up and sign-in through the BFF's JSON API, as a real SPA would.
//
// - The screen is chosen from the step response's `state` (one render function per state)
//   and what it offers from `next_steps` only; `data` fills it in.
// - Every error has one shape, {"error": {code, message, details}}, shown by one function:
//   422 field messages next to their fields, 409 illegal_step resyncs from GET /api/flow,
//   429 disables the form for Retry-After seconds.
// - State-changing calls send JSON and `X-CSRF: 1`; cookies are same-origin (HttpOnly: this
//   script never sees them, nor any Cognito token).
// - Text is always inserted as text (textContent / text nodes). The one piece of markup is
//   the QR code's SVG, which the BFF generates itself (segno, from the otpauth URI): it is
//   parsed inertly, checked against an allowlist of SVG elements and attributes, and only
//   then adopted. No user input ever reaches it.
"use strict";

const STEP_PATHS = {
  sign_up: "/api/sign-up",
  confirm: "/api/sign-up/confirm",
  resend_code: "/api/sign-up/resend-code",
  sign_in: "/api/sign-in",
  new_password: "/api/sign-in/new-password",
  mfa_setup_verify: "/api/sign-in/mfa-setup",
  mfa_code: "/api/sign-in/mfa",
  remember_device: "/api/sign-in/remember-device",
  sign_out: "/api/sign-out",
};
// The steps of a browser with no flow yet (the lifecycle's NEW state).
const NEW_STEPS = ["sign_up", "confirm", "resend_code", "sign_in"];
const SVG_NS = "http://www.w3.org/2000/svg";
const QR_TAGS = new Set(["svg", "path", "rect", "g"]);
const QR_ATTRS = new Set([
  "width", "height", "class", "viewBox", "transform", "stroke", "fill", "d", "x", "y",
  "xmlns", "shape-rendering",
]);
const ATTRIBUTE_AUTOCOMPLETE = {
  name: "name", given_name: "given-name", family_name: "family-name", email: "email",
  phone_number: "tel", birthdate: "bday", locale: "language", zoneinfo: "off",
};

const page = {
  screen: document.getElementById("screen"),
  error: document.getElementById("error"),
  notice: document.getElementById("notice"),
  status: document.getElementById("flow-status"),
  outbox: document.getElementById("outbox"),
  outboxRows: document.getElementById("outbox-messages"),
};
let localMode = false; // set when GET /api/local/outbox answers

class ApiError extends Error {
  constructor(status, error, retryAfter) {
    super(error.message || "Request failed");
    this.status = status;
    this.code = error.code || "error";
    this.details = error.details || {};
    this.retryAfter = retryAfter;
  }
}

// ---- the API -----------------------------------------------------------------------------

async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (method !== "GET") {
    init.headers["X-CSRF"] = "1";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body || {});
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, {
      code: "network_error",
      message: "The BFF did not answer. Is `bff serve` still running?",
    });
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch (e) {
    payload = null;
  }
  if (!response.ok) {
    const error = (payload && payload.error) || {
      code: "http_" + response.status,
      message: response.statusText || "The request failed.",
    };
    const retry = response.headers.get("Retry-After") || (error.details || {}).retry_after;
    throw new ApiError(response.status, error, retry ? Number(retry) : null);
  }
  return payload;
}

async function step(name, body) {
  const payload = await api("POST", STEP_PATHS[name], body);
  return payload.flow;
}

// ---- DOM helpers -------------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

function button(label, onClick, attrs) {
  const node = el("button", { type: "button", ...(attrs || {}) }, label);
  node.addEventListener("click", onClick);
  return node;
}

function card(title, ...children) {
  return el("div", { class: "card" }, el("h2", {}, title), ...children);
}

function showNotice(text) {
  page.notice.textContent = text || "";
  page.notice.hidden = !text;
}

function clearError() {
  page.error.replaceChildren();
  page.error.hidden = true;
  for (const p of document.querySelectorAll(".field-error")) {
    p.textContent = "";
    p.hidden = true;
  }
  for (const input of document.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
  }
}

function focusFirst(root) {
  const fields = [...root.querySelectorAll("input:not([type=hidden]), button")];
  const target = fields.find((f) => f.tagName === "INPUT" && !f.value) || fields[0];
  if (target) target.focus();
}

// A form of labelled inputs; `onSubmit(values)` runs with the form's buttons disabled and
// its errors shown next to its fields. Native submission is never used (CSP form-action).
function form(id, fields, submitLabel, onSubmit, ...extra) {
  const node = el("form", { id, method: "post", novalidate: true });
  for (const spec of fields) {
    const inputId = id + "-" + spec.name.replace(/[^A-Za-z0-9_-]/g, "-");
    const input = el("input", {
      id: inputId,
      name: spec.name,
      type: spec.type || "text",
      autocomplete: spec.autocomplete || "off",
      inputmode: spec.inputmode,
      required: spec.required !== false,
      "aria-describedby": inputId + "-error" + (spec.hint ? " " + inputId + "-hint" : ""),
    });
    if (spec.value) input.value = spec.value;
    node.append(
      el(
        "div",
        { class: "field" },
        el("label", { for: inputId }, spec.label),
        input,
        spec.hint ? el("p", { class: "hint", id: inputId + "-hint" }, spec.hint) : null,
        el("p", { class: "field-error", id: inputId + "-error", hidden: true }),
      ),
    );
  }
  node.append(el("div", { class: "actions" }, el("button", { type: "submit" }, submitLabel), ...extra));
  node.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = {};
    for (const spec of fields) values[spec.name] = node.elements[spec.name].value.trim();
    for (const spec of fields) {
      if (spec.type === "password") values[spec.name] = node.elements[spec.name].value;
    }
    run(node, () => onSubmit(values));
  });
  return node;
}

// Runs an API action for `container` (a form or card): buttons disabled meanwhile, errors
// shown by showError.
async function run(container, action, keepError) {
  const buttons = [...container.querySelectorAll("button")];
  for (const b of buttons) b.disabled = true;
  if (!keepError) clearError();
  let limited = false;
  try {
    await action();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    limited = err.status === 429;
    await showError(err, container);
  } finally {
    if (!limited) for (const b of buttons) b.disabled = false;
  }
}

// The one error display, for the one error shape.
async function showError(err, container) {
  const lines = [el("strong", {}, err.message), " ", el("span", { class: "code" }, "(" + err.code + ")")];
  page.error.replaceChildren(el("p", {}, ...lines));
  page.error.hidden = false;
  if (err.status === 422 && err.details.fields) {
    const unplaced = placeFieldErrors(err.details.fields, container);
    for (const [field, message] of unplaced) {
      page.error.append(el("p", {}, field + ": " + message));
    }
    const invalid = container.querySelector("[aria-invalid=true]");
    if (invalid) invalid.focus();
    return;
  }
  if (err.status === 429) {
    countdown(err.retryAfter || 60, container);
    return;
  }
  if (err.code === "illegal_step" || err.code === "conflict") {
    // Another tab (or a double submission) moved the flow on: show where it is now.
    const allowed = err.details.allowed_steps;
    if (allowed) page.error.append(el("p", {}, "Allowed now: " + (allowed.join(", ") || "nothing")));
    await resume();
    return;
  }
  if (["session_expired", "not_signed_in", "no_flow"].includes(err.code)) {
    await resume();
    return;
  }
  page.error.focus();
}

function fieldMessages(messages) {
  if (Array.isArray(messages)) return messages.map(String).join(" ");
  if (messages && typeof messages === "object") {
    return Object.values(messages).map(fieldMessages).join(" ");
  }
  return String(messages);
}

// 422 details.fields: {field: [messages]} (attributes nest: {attributes: {name: [...]}}).
// Returns the [field, message] pairs that have no input on the screen.
function placeFieldErrors(fields, container) {
  const unplaced = [];
  const flat = [];
  for (const [name, messages] of Object.entries(fields)) {
    if (name === "attributes" && messages && !Array.isArray(messages)) {
      for (const [attr, inner] of Object.entries(messages)) flat.push(["attributes." + attr, inner]);
    } else {
      flat.push([name, messages]);
    }
  }
  for (const [name, messages] of flat) {
    const input = [...container.querySelectorAll("input")].find((i) => i.name === name);
    const text = fieldMessages(messages);
    if (!input) {
      unplaced.push([name, text]);
      continue;
    }
    input.setAttribute("aria-invalid", "true");
    const slot = document.getElementById(input.id + "-error");
    slot.textContent = text;
    slot.hidden = false;
  }
  return unplaced;
}

function countdown(seconds, container) {
  const buttons = [...container.querySelectorAll("button")];
  let left = Math.max(1, Math.ceil(seconds));
  const line = el("p", { class: "retry" });
  page.error.append(line);
  const tick = () => {
    if (left <= 0) {
      line.textContent = "You can try again now.";
      for (const b of buttons) b.disabled = false;
      return;
    }
    line.textContent = "Try again in " + left + " s.";
    left -= 1;
    setTimeout(tick, 1000);
  };
  for (const b of buttons) b.disabled = true;
  tick();
}

// ---- the QR code -------------------------------------------------------------------------

// The BFF's own SVG (segno output: <svg><path …/></svg>), parsed in an inert document
// (scripts never run there), refused unless every element and attribute is on the
// allowlist, then adopted into the page. Returns null if anything is unexpected.
function qrNode(markup) {
  if (typeof markup !== "string" || !markup.startsWith("<svg")) return null;
  const doc = new DOMParser().parseFromString(markup, "text/html");
  const svg = doc.body.firstElementChild;
  if (!svg || doc.body.childElementCount !== 1) return null;
  for (const node of [svg, ...svg.querySelectorAll("*")]) {
    if (node.namespaceURI !== SVG_NS || !QR_TAGS.has(node.localName)) return null;
    for (const attr of node.attributes) {
      if (!QR_ATTRS.has(attr.name)) return null;
    }
  }
  const adopted = document.importNode(svg, true);
  adopted.setAttribute("role", "img");
  adopted.setAttribute("aria-label", "QR code to add this account to an authenticator app");
  return adopted;
}

function groupSecret(secret) {
  return secret.replace(/(.{4})/g, "$1 ").trim();
}

// ---- screens: one per state --------------------------------------------------------------

function signInForm(id, username) {
  return form(
    id,
    [
      { name: "username", label: "Email", type: "email", autocomplete: "username", value: username },
      { name: "password", label: "Password", type: "password", autocomplete: "current-password" },
    ],
    "Sign in",
    async (v) => show(await step("sign_in", { username: v.username, password: v.password })),
  );
}

function signOutButton(flow, label) {
  if (!flow.next_steps.includes("sign_out")) return null;
  const node = button(label || "Sign out", () =>
    run(node.closest(".card") || node, async () => {
      const payload = await api("POST", STEP_PATHS.sign_out, {});
      if (payload.flow) show(payload.flow);
      else renderNoFlow();
    }),
    { class: "secondary" },
  );
  return node;
}

function renderStart(steps, notice) {
  const cards = [];
  if (notice) cards.push(el("p", {}, notice));
  if (steps.includes("sign_in")) cards.push(card("Sign in", signInForm("sign-in")));
  if (steps.includes("sign_up")) {
    cards.push(
      card(
        "Create an account",
        form(
          "sign-up",
          [
            { name: "email", label: "Email", type: "email", autocomplete: "username" },
            {
              name: "password",
              label: "Password",
              type: "password",
              autocomplete: "new-password",
              hint: "At least 8 characters with upper and lower case letters, a digit and a symbol.",
            },
          ],
          "Sign up",
          async (v) => show(await step("sign_up", { email: v.email, password: v.password })),
        ),
      ),
    );
  }
  if (steps.includes("confirm")) {
    const other = el(
      "details",
      { class: "other" },
      el("summary", {}, "Confirm a sign-up started in another browser"),
      form(
        "confirm-other",
        [
          { name: "username", label: "Email", type: "email", autocomplete: "username" },
          { name: "code", label: "Code from the email", autocomplete: "one-time-code", inputmode: "numeric" },
        ],
        "Confirm",
        async (v) => show(await step("confirm", { username: v.username, code: v.code })),
      ),
    );
    cards[cards.length - 1].append(other);
  }
  return el("div", {}, ...cards);
}

const SCREENS = {
  SIGNED_UP(flow) {
    const d = flow.data || {};
    const delivery = d.code_delivery;
    const resend = flow.next_steps.includes("resend_code")
      ? button("Send a new code", () =>
          run(page.screen, async () => {
            const next = await step("resend_code", {});
            show(next);
            showNotice("A new code is on its way.");
          }),
        { class: "secondary", id: "resend-code" })
      : null;
    return card(
      "Confirm your email",
      d.reason === "user_not_confirmed" ? el("p", {}, "This account is not confirmed yet.") : null,
      el(
        "p",
        {},
        delivery
          ? "We sent a code to " + delivery.destination + " (" + String(delivery.medium).toLowerCase() + ")."
          : "Enter the code we sent to " + (d.username || "you") + ".",
      ),
      form(
        "confirm",
        [{ name: "code", label: "Confirmation code", autocomplete: "one-time-code", inputmode: "numeric" }],
        "Confirm",
        async (v) => show(await step("confirm", { code: v.code })),
        resend,
        signOutButton(flow, "Cancel"),
      ),
    );
  },

  CONFIRMED(flow) {
    return card(
      "Email confirmed",
      el("p", {}, "Your account is ready. Sign in to set up two-factor authentication."),
      flow.next_steps.includes("sign_in") ? signInForm("sign-in", (flow.data || {}).username) : null,
    );
  },

  NEW_PASSWORD_REQUIRED(flow) {
    const required = (flow.data || {}).required_attributes || [];
    const fields = [
      { name: "new_password", label: "New password", type: "password", autocomplete: "new-password" },
      ...required.map((name) => ({
        name: "attributes." + name,
        label: name.replace(/_/g, " "),
        autocomplete: ATTRIBUTE_AUTOCOMPLETE[name] || "off",
      })),
    ];
    return card(
      "Choose your password",
      el("p", {}, "You signed in with a temporary password. Choose your own to continue."),
      form(
        "new-password",
        fields,
        "Set password",
        async (v) => {
          const attributes = {};
          for (const name of required) attributes[name] = v["attributes." + name];
          show(await step("new_password", { new_password: v.new_password, attributes }));
        },
        signOutButton(flow, "Cancel"),
      ),
    );
  },

  MFA_SETUP(flow) {
    const d = flow.data || {};
    const qr = d.qr_svg ? qrNode(d.qr_svg) : null;
    if (!d.secret) {
      // Shown once: GET /api/flow never repeats the secret. A new sign-in gives a new one.
      return card(
        "Set up your authenticator app",
        el("p", {}, "The QR code is shown only once. Sign in again to get a new one."),
        flow.next_steps.includes("sign_in") ? signInForm("sign-in", d.username) : null,
        el("div", { class: "actions" }, signOutButton(flow, "Cancel")),
      );
    }
    return card(
      "Set up your authenticator app",
      el("p", {}, "Two-factor authentication is required. Scan this QR code with an authenticator app (Google Authenticator, 1Password, Authy…), then enter the 6-digit code it shows."),
      el(
        "div",
        { class: "qr", id: "qr" },
        qr || el("p", {}, "The QR code could not be shown; enter the key by hand."),
        el(
          "div",
          {},
          el("p", {}, "Can't scan it? Enter this key:"),
          el("p", {}, el("code", { class: "secret", id: "mfa-secret" }, groupSecret(d.secret))),
        ),
      ),
      form(
        "mfa-setup",
        [{ name: "code", label: "Code from the app", autocomplete: "one-time-code", inputmode: "numeric" }],
        "Verify",
        async (v) => show(await step("mfa_setup_verify", { code: v.code })),
        signOutButton(flow, "Cancel"),
      ),
    );
  },

  SOFTWARE_TOKEN_MFA(flow) {
    return card(
      "Two-factor authentication",
      el("p", {}, "Enter the 6-digit code from your authenticator app."),
      form(
        "mfa",
        [{ name: "code", label: "Code from the app", autocomplete: "one-time-code", inputmode: "numeric" }],
        "Verify",
        async (v) => show(await step("mfa_code", { code: v.code })),
        signOutButton(flow, "Cancel"),
      ),
    );
  },

  AUTHENTICATED(flow) {
    if (flow.next_steps.includes("remember_device")) return rememberDevice(flow);
    return signedIn(flow);
  },

  EXPIRED(flow) {
    return card(
      "Sign in again",
      el("p", {}, "This sign-in took too long (Cognito allows 3 minutes per step)."),
      flow.next_steps.includes("sign_in") ? signInForm("sign-in", (flow.data || {}).username) : null,
    );
  },

  SIGNED_OUT() {
    return renderStart(NEW_STEPS, "You are signed out.");
  },
};

function rememberDevice(flow) {
  const answer = (remember) => async (v) =>
    show(await step("remember_device", { remember, device_name: v.device_name }));
  const f = form(
    "remember",
    [{ name: "device_name", label: "Name this browser", autocomplete: "off", value: "Web browser" }],
    "Yes, remember it",
    answer(true),
  );
  f.querySelector(".actions").append(
    button("No", () => run(f, () => answer(false)({ device_name: f.elements.device_name.value.trim() })), {
      class: "secondary",
      id: "remember-no",
    }),
  );
  return card(
    "Remember this browser?",
    el("p", {}, "You are signed in. If you remember this browser, signing in here again will not ask for a code from your authenticator app."),
    f,
  );
}

function signedIn(flow) {
  const d = flow.data || {};
  const claims = el("dl", { class: "claims", id: "claims" }, el("dt", {}, "…"), el("dd", {}, "loading"));
  const devices = el("tbody", { id: "devices" });
  const view = card(
    "Signed in",
    el("p", {}, "Signed in as ", el("strong", {}, d.username || "you"), d.device_remembered ? ". This browser is remembered." : "."),
    el("h3", {}, "Your ID token's claims"),
    claims,
    el("h3", {}, "Your devices"),
    el(
      "table",
      { class: "devices" },
      el("thead", {}, el("tr", {}, ...["name", "remembered", "last sign-in", ""].map((h) => el("th", { scope: "col" }, h)))),
      devices,
    ),
    el(
      "div",
      { class: "actions" },
      button("Refresh tokens", () =>
        run(view, async () => {
          fillClaims(claims, await api("POST", "/api/session/refresh", {}));
          showNotice("Tokens refreshed.");
        }),
        { class: "secondary", id: "refresh" }),
      signOutButton(flow),
    ),
  );
  // Loading is not a user action: an error already shown (e.g. after a resync) stays.
  run(
    view,
    async () => {
      fillClaims(claims, await api("GET", "/api/me"));
      fillDevices(devices, view, (await api("GET", "/api/devices")).devices);
    },
    true,
  );
  return view;
}

function fillClaims(dl, me) {
  const rows = [];
  for (const [name, value] of Object.entries(me.user || {})) {
    let shown = typeof value === "object" ? JSON.stringify(value) : String(value);
    if (["auth_time", "exp", "iat"].includes(name)) shown += " (" + new Date(value * 1000).toLocaleString() + ")";
    rows.push(el("dt", {}, name), el("dd", {}, shown));
  }
  rows.push(el("dt", {}, "expires_in"), el("dd", {}, String(me.expires_in) + " s"));
  dl.replaceChildren(...rows);
}

function fillDevices(tbody, view, devices) {
  if (!devices.length) {
    tbody.replaceChildren(el("tr", {}, el("td", { colspan: 4 }, "No tracked devices.")));
    return;
  }
  tbody.replaceChildren(
    ...devices.map((device) => {
      const forget = button(
        "Forget",
        () =>
          run(view, async () => {
            const answer = await api("DELETE", "/api/devices/" + encodeURIComponent(device.device_key));
            fillDevices(tbody, view, answer.devices);
            showNotice("Device forgotten: its next sign-in asks for a code.");
          }),
        { class: "secondary", "aria-label": "Forget " + (device.name || device.device_key) },
      );
      const name = (device.name || device.device_key) + (device.this_browser ? " (this browser)" : "");
      const last = device.last_authenticated ? new Date(device.last_authenticated).toLocaleString() : "—";
      return el(
        "tr",
        { "data-device-key": device.device_key },
        el("td", {}, name),
        el("td", {}, device.remembered ? "yes" : "no"),
        el("td", {}, last),
        el("td", {}, forget),
      );
    }),
  );
}

function renderUnknown(flow) {
  // A state this page has no screen for (e.g. the BFF's own device challenge): say where
  // the flow is and offer what next_steps allows.
  return card(
    "Signing in…",
    el("p", {}, "The sign-in is in state " + flow.state + "."),
    flow.next_steps.includes("sign_in") ? signInForm("sign-in", (flow.data || {}).username) : null,
    el("div", { class: "actions" }, signOutButton(flow, "Cancel")),
  );
}

// ---- showing a flow ----------------------------------------------------------------------

function mount(node, status) {
  page.screen.replaceChildren(node);
  page.status.textContent = status;
  focusFirst(page.screen);
  refreshOutbox();
}

function show(flow) {
  if (flow.state !== "SIGNED_OUT") showNotice("");
  const render = SCREENS[flow.state] || renderUnknown;
  mount(render(flow), "state " + flow.state + " · next steps: " + (flow.next_steps.join(", ") || "none"));
}

function renderNoFlow() {
  mount(renderStart(NEW_STEPS), "no sign-in in progress");
}

// After a load, a reload, or a refused step: where is this browser's flow now?
async function resume() {
  try {
    show((await api("GET", "/api/flow")).flow);
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== "no_flow") {
      if (err instanceof ApiError) {
        page.error.append(el("p", {}, err.message));
        page.error.hidden = false;
      } else {
        throw err;
      }
    }
    renderNoFlow();
  }
}

// ---- the local outbox panel --------------------------------------------------------------

async function refreshOutbox() {
  if (!localMode) return;
  let answer;
  try {
    answer = await api("GET", "/api/local/outbox");
  } catch (err) {
    page.outboxRows.replaceChildren(el("tr", {}, el("td", { colspan: 4 }, err.message)));
    return;
  }
  fillOutbox(answer.messages);
}

function fillOutbox(messages) {
  if (!messages.length) {
    page.outboxRows.replaceChildren(el("tr", {}, el("td", { colspan: 4 }, "Nothing sent yet.")));
    return;
  }
  page.outboxRows.replaceChildren(
    ...messages.map((m) => {
      const value = m.kind === "confirmation_code" ? m.code : m.temporary_password;
      const what = m.kind === "confirmation_code" ? "code" : "temporary password";
      const use = button("Use", () => {
        const target = page.screen.querySelector(
          m.kind === "confirmation_code" ? "input[name=code]" : "input[name=password]",
        );
        if (!target) return;
        target.value = value;
        target.focus();
      }, { class: "secondary", "aria-label": "Use this " + what });
      return el(
        "tr",
        { "data-kind": m.kind, "data-to": m.to },
        el("td", { class: "to" }, m.to),
        el("td", {}, what),
        el("td", { class: "value" }, value),
        el("td", {}, use),
      );
    }),
  );
}

async function start() {
  document.getElementById("outbox-refresh").addEventListener("click", refreshOutbox);
  try {
    const answer = await api("GET", "/api/local/outbox");
    localMode = true;
    page.outbox.hidden = false;
    fillOutbox(answer.messages);
  } catch (err) {
    localMode = false; // production mode: 404, the panel stays hidden
  }
  await resume();
}

start();
