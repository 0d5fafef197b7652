// The demo SPA: drives sign-up and sign-in through the BFF's JSON API, as a real SPA would.
//
// - The screen is chosen from the step response's `state` (one render function per state)
//   and what it offers from `next_steps` only; `data` fills it in.
// - Every error has one shape, {"error": {code, message, details}}, shown by one function:
//   a plain sentence per error code (never Cognito's own wording), code and password errors
//   next to their field, 422 field messages next to their fields, 409 illegal_step resyncs
//   from GET /api/flow, 429 disables the form for Retry-After seconds, a 401 on a signed-in
//   screen means signed out.
// - State-changing calls send JSON and `X-CSRF: 1`; cookies are same-origin (HttpOnly: this
//   script never sees them, nor any Cognito token).
// - Text is always inserted as text (textContent / text nodes). The one piece of markup is
//   the QR code's SVG, which the BFF generates itself (zxing-cpp, from the otpauth URI): it is
//   parsed inertly, checked against an allowlist of SVG elements and attributes, and only
//   then adopted. No user input ever reaches it.
"use strict";

const STEP_PATHS = {
  sign_up: "/api/sign-up",
  confirm: "/api/sign-up/confirm",
  resend_code: "/api/sign-up/resend-code",
  sign_in: "/api/sign-in",
  sign_in_choice: "/api/sign-in/choice",
  choose_factor: "/api/sign-in/factor",
  email_code: "/api/sign-in/email-code",
  new_password: "/api/sign-in/new-password",
  mfa_setup_verify: "/api/sign-in/mfa-setup",
  mfa_code: "/api/sign-in/mfa",
  sms_mfa_code: "/api/sign-in/sms-mfa",
  sms_code: "/api/sign-in/sms-code",
  select_mfa_type: "/api/sign-in/mfa-type",
  remember_device: "/api/sign-in/remember-device",
  resend_temporary_password: "/api/sign-in/resend-temporary-password",
  forgot_password: "/api/password/forgot",
  reset_password: "/api/password/reset",
  change_password: "/api/account/password",
  replace_authenticator: "/api/account/mfa/authenticator",
  verify_authenticator: "/api/account/mfa/authenticator/verify",
  set_mfa_preference: "/api/account/mfa/preferences",
  sign_out: "/api/sign-out",
  sign_out_everywhere: "/api/account/sign-out-everywhere",
};
// The steps of a browser with no flow yet (the lifecycle's NEW state) that the start screen
// offers.
const NEW_STEPS = [
  "sign_up", "confirm", "resend_code", "sign_in", "sign_in_choice", "forgot_password", "reset_password", "resend_temporary_password",
];
// Why an outbox message is no longer offered (the local Cognito's `status` of it).
const OUTBOX_STATUS = { used: "used", expired: "expired", replaced: "replaced by a newer one" };

// What each outbox message kind is called on the page, and the field "Use" fills.
const OUTBOX_KINDS = {
  confirmation_code: { what: "code", value: "code", field: "input[name=code]" },
  password_reset_code: { what: "reset code", value: "code", field: "input[name=code]" },
  temporary_password: { what: "temporary password", value: "temporary_password", field: "input[name=password]" },
  sms_mfa: { what: "texted code", value: "code", field: "input[name=code]" },
  sms_otp: { what: "texted sign-in code", value: "code", field: "input[name=code]" },
  email_otp: { what: "sign-in code", value: "code", field: "input[name=code]" },
};
// What the page calls each MFA factor (the challenge names the BFF lists them by).
const MFA_NAMES = { SOFTWARE_TOKEN_MFA: "authenticator app", SMS_MFA: "text message", EMAIL_OTP: "email code" };
// What the MFA choice's buttons say (SELECT_MFA_TYPE): the codes Cognito sends, asked for.
const CHOICE_LABELS = { SOFTWARE_TOKEN_MFA: "Use my authenticator app", SMS_MFA: "Text me a code", EMAIL_OTP: "Email me a code" };
const SVG_NS = "http://www.w3.org/2000/svg";
const QR_TAGS = new Set(["svg", "path", "rect", "g"]);
const QR_ATTRS = new Set([
  "width", "height", "class", "viewBox", "transform", "stroke", "fill", "d", "x", "y",
  "xmlns", "shape-rendering",
]);
// What the page says for each error code: the BFF's message is often Cognito's own wording
// ("Code mismatch and fail enable Software Token MFA"), written for developers. Codes not
// listed here keep the BFF's message.
const ERROR_TEXT = {
  code_mismatch: "That code is not right. Check it and try again.",
  expired_code: "That code has expired or was already used. Use a newer one.",
  invalid_password: "This password is not strong enough.",
  not_authorized: "Incorrect email or password.",
  user_not_confirmed: "This account is not confirmed yet: enter the code we emailed.",
  username_exists: "An account with this email already exists. Sign in instead.",
  session_expired: "This step took too long and has expired. Start again.",
  not_signed_in: "You are not signed in.",
  no_flow: "There is no sign-in in progress on this browser.",
  illegal_step: "That step is not possible any more: this sign-in has moved on (another tab?).",
  conflict: "Another request changed this sign-in first.",
  too_many_requests: "Too many attempts. Wait a little before trying again.",
  sign_in_delayed: "Too many wrong passwords for this account. Wait a little before trying again.",
  attempt_limit_exceeded: "Too many failed attempts. Wait a while before trying again.",
  cognito_throttled: "Cognito is busy right now. Try again in a moment.",
  temporary_password_expired: "Your temporary password has expired.",
  incorrect_password: "That is not your current password.",
  step_up_failed: "Too many wrong current passwords: you are signed out. Sign in again.",
  password_reset_required: "Your password has been reset: choose a new one with the code we emailed.",
  no_device_offered: "There is no browser to remember at this sign-in.",
  invalid_parameter: "Cognito cannot do that with this account.",
  unsupported_challenge: "Cognito asked for a kind of sign-in this page does not support.",
  passkeys_not_available: "Passkeys are not enabled for this user pool.",
  passkey_rejected: "Cognito refused this passkey (another site's, or an authenticator it does not support).",
  passkey_challenge_expired: "Adding the passkey took too long. Start again.",
  passkey_not_found: "That passkey is already gone.",
  cognito_error: "Cognito refused the request.",
  cognito_unavailable: "Cognito cannot be reached right now. Try again in a moment.",
  internal_error: "Something went wrong on the server.",
  network_error: "The BFF did not answer. Is `bff serve` still running?",
};
// Errors about a code or a new password belong next to that field.
const CODE_ERRORS = new Set(["code_mismatch", "expired_code"]);
// The pool's password policy (local_cognito/user-pool.yaml: 8+ characters, lower, upper,
// digit, symbol). Cognito's message names one broken rule; the page lists every one. The
// symbols are those Cognito's developer guide lists under "Password requirements", plus a
// space that is neither first nor last.
const PASSWORD_RULES = [
  ["at least 8 characters", (p) => p.length >= 8],
  ["a lower-case letter", (p) => /[a-z]/.test(p)],
  ["an upper-case letter", (p) => /[A-Z]/.test(p)],
  ["a digit", (p) => /[0-9]/.test(p)],
  ["a symbol such as ! @ # $ % & * -", (p) => /[\^$*.[\]{}()?"!@#%&/\\,><':;|_~`=+\-]/.test(p) || /\S \S/.test(p)],
];
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
  for (const slot of document.querySelectorAll(".field-error")) {
    slot.replaceChildren();
    slot.hidden = true;
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
        el("div", { class: "field-error", id: inputId + "-error", hidden: true }),
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
  if (!keepError) {
    clearError(); // a new action: what the page said about the last one no longer applies
    showNotice("");
  }
  let limited = false;
  try {
    await action();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    // The screen this action belonged to is gone (another answer replaced it, e.g. the
    // session ended while the account panel's reads were in flight): nothing to say on it.
    if (!container.isConnected) return;
    limited = err.status === 429;
    await showError(err, container);
  } finally {
    if (!limited) for (const b of buttons) b.disabled = false;
  }
}

function plainMessage(err) {
  return ERROR_TEXT[err.code] || err.message;
}

// The one error display, for the one error shape.
async function showError(err, container) {
  const lines = [el("strong", {}, plainMessage(err)), " ", el("span", { class: "code" }, "(" + err.code + ")")];
  page.error.replaceChildren(el("p", {}, ...lines));
  page.error.hidden = false;
  if (CODE_ERRORS.has(err.code) && placeFieldError(container, "input[name=code]", plainMessage(err))) {
    return;
  }
  if (err.code === "invalid_password") {
    const input = container.querySelector("input[autocomplete=new-password]");
    if (input && placePasswordRules(input, err)) return;
  }
  if (err.details.fields) {
    // 422, and the errors that name their field (incorrect_password: previous_password).
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
  if (err.code === "temporary_password_expired" && err.details.state) {
    // Sign-in moved the flow to TEMPORARY_PASSWORD_EXPIRED: its screen offers a new one.
    const username = container.querySelector("input[name=username]");
    show({
      state: err.details.state,
      next_steps: err.details.next_steps || [],
      data: { username: username ? username.value.trim() : "" },
    });
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
    markInvalid(input, text);
  }
  return unplaced;
}

// Shows `content` (text or nodes) as `input`'s error, tied to it by aria-describedby.
function markInvalid(input, ...content) {
  input.setAttribute("aria-invalid", "true");
  const slot = document.getElementById(input.id + "-error");
  slot.replaceChildren(...content);
  slot.hidden = false;
}

function placeFieldError(container, selector, text) {
  const input = container && container.querySelector(selector);
  if (!input) return false;
  markInvalid(input, text);
  input.focus();
  return true;
}

// A password Cognito refused: every rule of the policy it breaks, next to the field (Cognito
// names only the first). If none seems broken (a pool with another policy), Cognito's reason.
function placePasswordRules(input, err) {
  const broken = PASSWORD_RULES.filter(([, ok]) => !ok(input.value)).map(([rule]) => rule);
  if (broken.length) {
    markInvalid(
      input,
      el("span", {}, "This password needs:"),
      el("ul", { class: "rules" }, ...broken.map((rule) => el("li", {}, rule))),
    );
  } else {
    markInvalid(input, err.message);
  }
  input.focus();
  return true;
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

// The BFF's own SVG (bff.cognito.totp.qr_svg: <svg><path …/></svg>), parsed in an inert document
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

// Whether this tab already showed an MFA key for `username` (sessionStorage holds the user
// name only, never the key), and remembers that it does now.
const KEY_SHOWN = "bff-demo-mfa-key-shown";

function keyShownBefore(username) {
  const before = sessionStorage.getItem(KEY_SHOWN) === String(username);
  sessionStorage.setItem(KEY_SHOWN, String(username));
  return before;
}

function forgetKeyShown() {
  sessionStorage.removeItem(KEY_SHOWN);
}

function groupSecret(secret) {
  return secret.replace(/(.{4})/g, "$1 ").trim();
}

const PASSWORD_HINT = "At least 8 characters with upper and lower case letters, a digit and a symbol.";

// The sign-in form, with "Forgot your password?" (a reset starts from any signed-out
// screen: the BFF begins a new flow when the current one cannot take it).
function signInForm(id, username) {
  const f = form(
    id,
    [
      { name: "username", label: "Email", type: "email", autocomplete: "username", value: username },
      { name: "password", label: "Password", type: "password", autocomplete: "current-password" },
    ],
    "Sign in",
    async (v) => show(await step("sign_in", { username: v.username, password: v.password, device_name: browserName() })),
  );
  f.querySelector(".actions").append(
    button("Forgot your password?", () => renderForgot(f.elements.username.value.trim()), {
      class: "link",
      id: id + "-forgot",
    }),
  );
  return f;
}

// "Forgot your password?": the email to send a reset code to. A screen of the page only:
// the flow moves when the code is sent.
function renderForgot(username) {
  clearError();
  showNotice("");
  const back = button("Back to sign in", () => run(page.screen, resume), { class: "secondary", id: "forgot-back" });
  mount(
    card(
      "Reset your password",
      el("p", {}, "Enter the email you sign in with. If it has an account, we email it a code to choose a new password."),
      form(
        "forgot",
        [{ name: "username", label: "Email", type: "email", autocomplete: "username", value: username }],
        "Send me a reset code",
        async (v) => show(await step("forgot_password", { username: v.username })),
        back,
      ),
    ),
    page.status.textContent, // the flow has not moved (yet)
  );
}

// "Sign out" for a signed-in user; "Cancel" (label given) ends a sign-up or sign-in that has
// not finished: the same step, but the page then says what happened in those words.
function signOutButton(flow, label) {
  if (!flow.next_steps.includes("sign_out")) return null;
  const cancel = Boolean(label);
  const node = button(label || "Sign out", () =>
    run(node.closest(".card") || node, async () => {
      const payload = await api("POST", STEP_PATHS.sign_out, {});
      forgetSignedIn();
      const notice = cancel ? CANCELLED[flow.state] || "Sign-in cancelled." : "You are signed out.";
      if (payload.flow) show(payload.flow, notice);
      else renderNoFlow(notice);
    }),
    { class: "secondary", id: cancel ? "cancel" : "sign-out" },
  );
  return node;
}

// Managed login beside the step-by-step form: plain links, because the browser itself
// navigates (BFF -> Cognito's hosted pages or the identity provider -> BFF) and comes back
// to this page signed in. The BFF answers "oauth_disabled" when no pool domain is set up.
function managedLoginCard() {
  return card(
    "Or sign in through the hosted pages",
    el(
      "p",
      { class: "hint" },
      "The user pool's managed login, or a federated identity provider: the BFF redeems the " +
        "authorization code itself, so this page never holds a token.",
    ),
    el(
      "div",
      { class: "actions" },
      el("a", { class: "button", id: "oauth-local-idp", href: "/api/oauth/sign-in?provider=LocalIdP" },
        "Continue with LocalIdP"),
      el("a", { class: "button secondary", id: "oauth-hosted", href: "/api/oauth/sign-in" },
        "Use the hosted sign-in page"),
    ),
  );
}

// A session from managed login also has a session at Cognito's hosted pages: this signs
// out here (tokens revoked) and then sends the browser through Cognito's /logout, which
// ends that one too and comes back to this page.
function managedSignOutButton(flow) {
  const d = flow.data || {};
  if (d.signed_in_with !== "managed_login" || !flow.next_steps.includes("sign_out")) return null;
  const node = button("Sign out of the hosted pages too", () =>
    run(node.closest(".card") || node, async () => {
      const payload = await api("POST", "/api/oauth/sign-out", {});
      forgetSignedIn();
      window.location.assign(payload.logout_url);
    }),
    { class: "secondary", id: "sign-out-hosted" },
  );
  return node;
}

// "… were signed out." after a password change or reset ended other sessions.
function endedSentence(count) {
  if (!count) return "";
  return " " + count + (count === 1 ? " other browser was" : " other browsers were") + " signed out.";
}

const CANCELLED = {
  RESET_CODE_SENT: "Password reset cancelled.",
  TEMPORARY_PASSWORD_EXPIRED: "Cancelled.",
  TEMPORARY_PASSWORD_SENT: "Cancelled.",
  SIGNED_UP:
    "Sign-up cancelled. The account exists but is not confirmed: sign in, or confirm it below, to get a code.",
  CONFIRMED: "Cancelled.",
};

function renderStart(steps, notice) {
  const cards = [];
  if (notice) cards.push(el("p", { id: "start-notice" }, notice));
  if (steps.includes("sign_in")) cards.push(card("Sign in", signInForm("sign-in")));
  if (steps.includes("sign_in_choice")) cards.push(choiceSignInCard());
  if (steps.includes("sign_in")) cards.push(managedLoginCard());
  if (steps.includes("sign_in")) cards.push(passkeySignInCard());
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
              hint: PASSWORD_HINT,
            },
            {
              name: "attributes.phone_number",
              label: "Mobile phone (optional)",
              type: "tel",
              autocomplete: "tel",
              required: false,
              hint: "For sign-in codes by text message, e.g. +447700900123.",
            },
          ],
          "Sign up",
          async (v) => {
            const phone = v["attributes.phone_number"];
            const body = { email: v.email, password: v.password };
            if (phone) body.attributes = { phone_number: phone };
            show(await step("sign_up", body));
          },
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
    const d = flow.data || {};
    if (d.password_reset) {
      return card(
        "Password changed",
        el("p", { id: "reset-done" }, "Your new password is set. Sign in with it." + endedSentence(d.sessions_ended)),
        flow.next_steps.includes("sign_in") ? signInForm("sign-in", d.username) : null,
      );
    }
    return card(
      "Email confirmed",
      el("p", {}, "Your account is ready. Sign in to set up two-factor authentication."),
      flow.next_steps.includes("sign_in") ? signInForm("sign-in", d.username) : null,
    );
  },

  RESET_CODE_SENT(flow) {
    const d = flow.data || {};
    const again = flow.next_steps.includes("forgot_password")
      ? button("Send a new code", () =>
          run(page.screen, async () => {
            show(await step("forgot_password", { username: d.username }));
            showNotice("A new code is on its way.");
          }),
        { class: "secondary", id: "reset-resend" })
      : null;
    return card(
      "Choose a new password",
      d.reason === "password_reset_required"
        ? el("p", { class: "warning", id: "reset-reason" }, "An administrator reset your password. Enter the code we emailed you and choose a new password.")
        : null,
      // Not Cognito's masked destination: for an unknown address Cognito simulates one
      // (another first letter), which would tell who has an account.
      el(
        "p",
        { id: "reset-sent" },
        d.reason === "password_reset_required"
          ? "We emailed the code to " + (d.username || "you") + "."
          : "If " + (d.username || "this email") + " has an account, we emailed it a code. It is valid for one hour.",
      ),
      form(
        "reset",
        [
          { name: "code", label: "Code from the email", autocomplete: "one-time-code", inputmode: "numeric" },
          { name: "new_password", label: "New password", type: "password", autocomplete: "new-password", hint: PASSWORD_HINT },
        ],
        "Set the new password",
        async (v) => show(await step("reset_password", { code: v.code, new_password: v.new_password })),
        again,
        signOutButton(flow, "Cancel"),
      ),
    );
  },

  TEMPORARY_PASSWORD_EXPIRED(flow) {
    const d = flow.data || {};
    return card(
      "Your temporary password has expired",
      el("p", {}, "The temporary password we emailed is valid for a limited time only. We can email you a new one."),
      flow.next_steps.includes("resend_temporary_password")
        ? form(
            "temporary",
            [{ name: "username", label: "Email", type: "email", autocomplete: "username", value: d.username }],
            "Send me a new temporary password",
            async (v) => show(await step("resend_temporary_password", { username: v.username })),
            signOutButton(flow, "Cancel"),
          )
        : el("p", {}, "Ask the administrator for a new one."),
    );
  },

  TEMPORARY_PASSWORD_SENT(flow) {
    const d = flow.data || {};
    return card(
      "Check your email",
      el("p", { id: "temporary-sent" }, "If " + (d.username || "this email") + " has an account waiting for its first sign-in, we emailed it a new temporary password. Sign in with it."),
      flow.next_steps.includes("sign_in") ? signInForm("sign-in", d.username) : null,
      el("div", { class: "actions" }, signOutButton(flow, "Cancel")),
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
      // Shown once: GET /api/flow never repeats the secret (after a reload). An app that
      // already scanned it still gives working codes, so the code field stays while the flow
      // allows mfa_setup_verify; a new sign-in gives a new key, and an entry made from the
      // old one will then never give a working code.
      const verify = flow.next_steps.includes("mfa_setup_verify");
      return card(
        "Set up your authenticator app",
        el(
          "p",
          {},
          verify
            ? "The QR code is shown only once. Already scanned it? Enter the code your authenticator app shows."
            : "The QR code is shown only once. Sign in again to get a new one.",
        ),
        verify
          ? form(
              "mfa-setup",
              [{ name: "code", label: "Code from the app", autocomplete: "one-time-code", inputmode: "numeric" }],
              "Verify",
              async (v) => show(await step("mfa_setup_verify", { code: v.code })),
            )
          : null,
        el(
          "p",
          { class: "warning", id: "new-key-warning" },
          verify
            ? "Not scanned yet? Sign in again for a new QR code. The new key replaces this one: an entry your app made from the old QR code will not work, delete it and scan the new code."
            : "Already scanned it? Signing in again issues a new key: the entry your authenticator app made from the old QR code will not work. Delete it and scan the new code.",
        ),
        flow.next_steps.includes("sign_in") ? signInForm("sign-in", d.username) : null,
        el("div", { class: "actions" }, signOutButton(flow, "Cancel")),
      );
    }
    const replaced = keyShownBefore(d.username);
    return card(
      "Set up your authenticator app",
      replaced
        ? el(
            "p",
            { class: "warning", id: "new-key-warning" },
            "This is a new key. An entry made from an earlier QR code will not work: delete it from your authenticator app and scan this one.",
          )
        : null,
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

  SMS_MFA(flow) {
    const delivery = (flow.data || {}).code_delivery;
    return card(
      "Two-factor authentication",
      el(
        "p",
        { id: "sms-destination" },
        delivery && delivery.destination
          ? "We texted a 6-digit code to " + delivery.destination + ". Enter it here."
          : "We texted a 6-digit code to your phone. Enter it here.",
      ),
      el("p", { class: "hint" }, "No text? Cancel and sign in again for a new code; a code works for 3 minutes."),
      form(
        "sms-mfa",
        [{ name: "code", label: "Code from the text message", autocomplete: "one-time-code", inputmode: "numeric" }],
        "Verify",
        async (v) => show(await step("sms_mfa_code", { code: v.code })),
        signOutButton(flow, "Cancel"),
      ),
    );
  },

  // A texted code instead of a password (choice-based sign-in, "Text me a code").
  SMS_OTP(flow) {
    const delivery = (flow.data || {}).code_delivery;
    return card(
      "Enter the code we texted you",
      el(
        "p",
        { id: "sms-destination" },
        delivery && delivery.destination
          ? "We texted a 6-digit sign-in code to " + delivery.destination + "."
          : "We texted a 6-digit sign-in code to your phone.",
      ),
      el("p", { class: "hint" }, "No text? Cancel and ask for a new code; a code works for 3 minutes."),
      form(
        "sms-code",
        [{ name: "code", label: "Code from the text message", autocomplete: "one-time-code", inputmode: "numeric" }],
        "Sign in",
        async (v) => show(await step("sms_code", { code: v.code })),
        signOutButton(flow, "Cancel"),
      ),
    );
  },

  SELECT_MFA_TYPE(flow) {
    const choices = (flow.data || {}).mfa_types || [];
    const view = card(
      "How do you want to confirm it's you?",
      el("p", {}, "Your account has more than one second factor. Choose one for this sign-in (the account panel can make one the default)."),
    );
    const actions = el("div", { class: "actions", id: "mfa-choices" });
    for (const choice of choices) {
      const label = CHOICE_LABELS[choice] || "Use my " + (MFA_NAMES[choice] || choice);
      actions.append(
        button(label, () => run(view, async () => show(await step("select_mfa_type", { mfa_type: choice }))), {
          "data-mfa-type": choice,
        }),
      );
    }
    if (!choices.length) actions.append(el("p", {}, "Cognito offered no factor this page knows. Sign in again."));
    actions.append(signOutButton(flow, "Cancel"));
    view.append(actions);
    return view;
  },

  AUTHENTICATED(flow) {
    forgetKeyShown();
    rememberSignedIn();
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

  SIGNED_OUT(flow, notice) {
    return renderStart(NEW_STEPS, notice);
  },
};

// A name that tells this browser apart in the devices list ("Chrome on Linux"), rather than
// the same "Web browser" for every one.
function browserName() {
  const ua = navigator.userAgent;
  const browsers = [["Edg/", "Edge"], ["OPR/", "Opera"], ["Firefox/", "Firefox"], ["Chrome/", "Chrome"], ["Safari/", "Safari"]];
  const systems = [["Android", "Android"], ["iPhone", "iOS"], ["iPad", "iPadOS"], ["Windows", "Windows"], ["Mac OS X", "macOS"], ["CrOS", "ChromeOS"], ["Linux", "Linux"]];
  const found = (table) => (table.find(([mark]) => ua.includes(mark)) || [null, null])[1];
  const browser = found(browsers) || "Web browser";
  const system = found(systems);
  return system ? browser + " on " + system : browser;
}

function rememberDevice(flow) {
  // The BFF confirmed this browser as a device when the tokens came, under the name sent
  // with the sign-in (browserName()); the only choice left is whether it skips MFA.
  const answer = (remember) => () =>
    whileSignedIn(async () => {
      const next = await step("remember_device", { remember });
      show(next);
      // A second tab still showing this question: the BFF answers with the choice already
      // made in the first (data.already_answered), which is what this tab now shows.
      const d = next.data || {};
      if (d.already_answered) {
        showNotice(
          "Another tab already answered: this browser is " + (d.device_remembered ? "remembered." : "not remembered."),
        );
      }
    });
  const f = form("remember", [], "Yes, remember it", answer(true));
  f.querySelector(".actions").append(
    button("No", () => run(f, () => answer(false)()), {
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
  // Whether this browser is remembered: from the step's answer first, then from the
  // devices list (which follows "Forget").
  const remembered = el("span", { id: "remembered" }, d.device_remembered ? " This browser is remembered." : "");
  const view = card(
    "Signed in",
    el("p", {}, "Signed in as ", el("strong", {}, d.username || "you"), ".", remembered),
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
        run(view, () =>
          whileSignedIn(async () => {
            fillClaims(claims, await api("POST", "/api/session/refresh", {}));
            showNotice("Tokens refreshed.");
          }),
        ),
        { class: "secondary", id: "refresh" }),
      signOutButton(flow),
      managedSignOutButton(flow),
    ),
    accountPanel(flow),
  );
  const fill = (list) => {
    fillDevices(devices, view, list, fill);
    const here = list.find((device) => device.this_browser);
    remembered.textContent = here && here.remembered ? " This browser is remembered." : "";
  };
  // Loading is not a user action: an error already shown (e.g. after a resync) stays. A 401
  // means the BFF or Cognito no longer accepts this session (expired, revoked, or the BFF's
  // local Cognito restarted): this browser is signed out, whatever the flow said.
  run(
    view,
    () =>
      whileSignedIn(async () => {
        fillClaims(claims, await api("GET", "/api/me"));
        fill((await api("GET", "/api/devices")).devices);
      }),
    true,
  );
  return view;
}

// app, sign out everywhere. Each is offered when the flow's next_steps list it.

function accountPanel(flow) {
  const steps = flow.next_steps;
  const panel = el("section", { class: "account", id: "account", "aria-labelledby": "account-title" }, el("h3", { id: "account-title" }, "Your account"));
  if (steps.includes("mfa_status")) {
    const status = el("p", { id: "mfa-status" }, "Two-factor authentication: …");
    const settings = el("div", { id: "mfa-settings" });
    panel.append(status, settings);
    const fill = (next) => {
      fillMfaStatus(status, next);
      if (steps.includes("set_mfa_preference")) fillMfaSettings(settings, next, fill);
    };
    run(panel, () => whileSignedIn(async () => fill((await api("GET", "/api/account/mfa")).flow)), true);
  }
  appendAuthFactors(panel, steps);
  panel.append(passkeysSection());
  if (steps.includes("change_password")) {
    panel.append(
      el(
        "details",
        { class: "other", id: "change-password-section" },
        el("summary", {}, "Change your password"),
        form(
          "change-password",
          [
            { name: "previous_password", label: "Current password", type: "password", autocomplete: "current-password" },
            { name: "new_password", label: "New password", type: "password", autocomplete: "new-password", hint: PASSWORD_HINT },
          ],
          "Change password",
          (v) =>
            whileSignedIn(async () => {
              const next = await step("change_password", v);
              show(next);
              showNotice("Your password is changed." + endedSentence((next.data || {}).sessions_ended));
            }),
        ),
      ),
    );
  }
  if (steps.includes("replace_authenticator")) panel.append(replaceAuthenticatorSection());
  if (steps.includes("sign_out_everywhere")) {
    const actions = el("div", { class: "actions", id: "sign-out-everywhere-actions" });
    const signOutEverywhere = () =>
      run(panel, () =>
        whileSignedIn(async () => {
          const answer = await api("POST", STEP_PATHS.sign_out_everywhere, {});
          forgetSignedIn(); // this browser asked: no "why" is owed after a reload
          const others = (answer.sessions_ended || 1) - 1;
          const notice = "You are signed out on every browser." + (others > 0 ? endedSentence(others) : "");
          if (answer.flow) show(answer.flow, notice);
          else renderNoFlow(notice);
        }),
      );
    // Every browser is signed out at once: asked twice, and saying what it does not do.
    const ask = () =>
      actions.replaceChildren(
        el(
          "p",
          { class: "warning", id: "sign-out-everywhere-question" },
          "Sign out of every browser, this one included? Each must sign in again.",
        ),
        button("Yes, sign out everywhere", signOutEverywhere, { id: "sign-out-everywhere-confirm" }),
        button("Cancel", offer, { class: "secondary", id: "sign-out-everywhere-cancel" }),
      );
    const offer = () =>
      actions.replaceChildren(button("Sign out everywhere", ask, { class: "secondary", id: "sign-out-everywhere" }));
    offer();
    panel.append(
      el(
        "p",
        { class: "hint", id: "sign-out-everywhere-hint" },
        "Signed in somewhere you should not be? Sign out of every browser: each must sign in again. A remembered browser still signs in without a code from your authenticator app: for a lost or shared device, choose Forget on it in Your devices above.",
      ),
      actions,
    );
  }
  return panel.childElementCount > 1 ? panel : null;
}

// Passkeys: "Add a passkey" (Cognito's creation options → navigator.credentials.create →
// the browser's answer relayed to Cognito, which verifies and keeps it) and the list with
// Delete. The browser's own refusals (cancelled, no authenticator, already registered)
// are said plainly; the BFF's errors go through showError.
function passkeysSection() {
  const list = el("ul", { class: "passkeys", id: "passkeys" }, el("li", {}, "…"));
  const section = el(
    "details",
    { class: "other", id: "passkeys-section" },
    el("summary", {}, "Passkeys"),
    el("p", { class: "hint" }, "Sign in with this device's screen lock or a security key instead of a password."),
    list,
    el("div", { class: "actions" }, button("Add a passkey", () => run(section, () => whileSignedIn(() => addPasskey(list))), { class: "secondary", id: "add-passkey" })),
  );
  // Listed when opened, not at every render: the list is a read that costs a Cognito call
  // (and a share of the session's read budget).
  section.addEventListener("toggle", () => {
    if (section.open) run(section, () => whileSignedIn(async () => fillPasskeys(list, (await api("GET", "/api/account/passkeys")).passkeys)), true);
  });
  return section;
}

function fillPasskeys(list, passkeys) {
  if (!passkeys.length) {
    list.replaceChildren(el("li", {}, "No passkeys yet."));
    return;
  }
  list.replaceChildren(
    ...passkeys.map((passkey) => {
      const remove = button(
        "Delete",
        () =>
          run(list, () =>
            whileSignedIn(async () => {
              const answer = await api("DELETE", "/api/account/passkeys/" + encodeURIComponent(passkey.credential_id));
              fillPasskeys(list, answer.passkeys);
              showNotice("Passkey deleted: it can no longer sign in.");
            }),
          ),
        { class: "secondary", "aria-label": "Delete " + passkey.name },
      );
      const added = passkey.created ? " (added " + new Date(passkey.created).toLocaleDateString() + ")" : "";
      return el("li", { "data-credential-id": passkey.credential_id }, passkey.name + added + " ", remove);
    }),
  );
}

// What the browser's WebAuthn refusal means to the user (DOMException names, WebAuthn §5.1.3).
const WEBAUTHN_REFUSALS = {
  NotAllowedError: "The passkey request was cancelled or timed out.",
  InvalidStateError: "This authenticator already holds a passkey for your account.",
  NotSupportedError: "This browser or authenticator cannot create this kind of passkey.",
  SecurityError: "This page's address cannot use passkeys for this site (open it on the relying party's host, e.g. localhost).",
  AbortError: "The passkey request was cancelled.",
};

function passkeysSupported() {
  return Boolean(window.PublicKeyCredential && PublicKeyCredential.parseCreationOptionsFromJSON && PublicKeyCredential.parseRequestOptionsFromJSON);
}

// Runs a navigator.credentials call; a refusal becomes the page's one error shape.
async function webauthnCall(call) {
  if (!passkeysSupported()) {
    throw new ApiError(0, { code: "passkeys_not_supported", message: "This browser does not support passkeys." });
  }
  try {
    return await call();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const name = (err && err.name) || "Error";
    throw new ApiError(0, { code: "webauthn_" + name, message: WEBAUTHN_REFUSALS[name] || "The browser refused the passkey request (" + name + ")." });
  }
}

async function addPasskey(list) {
  const started = await api("POST", "/api/account/passkeys/registration", {});
  const credential = await webauthnCall(() =>
    navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(started.credential_creation_options) }),
  );
  const answer = await api("POST", "/api/account/passkeys", { credential: credential.toJSON() });
  fillPasskeys(list, answer.passkeys);
  showNotice("Passkey added. You can sign in with it instead of your password.");
}

// "Sign in with a passkey": a choice-based sign-in preferring WEB_AUTHN; Cognito's
// CREDENTIAL_REQUEST_OPTIONS go to navigator.credentials.get and the browser's answer back,
// as it came. Cognito verifies it; the page and the BFF only carry it.
function passkeySignInCard() {
  return card(
    "Sign in with a passkey",
    form(
      "passkey-sign-in",
      [{ name: "username", label: "Email", type: "email", autocomplete: "username webauthn" }],
      "Sign in with a passkey",
      async (v) => {
        if (!passkeysSupported()) await webauthnCall(async () => null);
        const flow = (await api("POST", "/api/sign-in/choice", { username: v.username, factor: "WEB_AUTHN" })).flow;
        if (flow.state === "WEB_AUTHN") {
          show(flow);
          await answerPasskey(flow);
          return;
        }
        show(flow, "There is no passkey for this account on this site: choose another way to sign in.");
      },
    ),
  );
}

async function answerPasskey(flow) {
  const options = (flow.data || {}).credential_request_options;
  const credential = await webauthnCall(() =>
    navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) }),
  );
  show((await api("POST", "/api/sign-in/passkey", { credential: credential.toJSON() })).flow);
}

// The WEB_AUTHN state after a reload or a refused assertion: try the passkey again.
SCREENS.WEB_AUTHN = function renderPasskeyAssertion(flow) {
  const view = card(
    "Sign in with your passkey",
    el("p", {}, "Use the passkey for " + ((flow.data || {}).username || "your account") + ": your device asks for its screen lock or security key."),
    el(
      "div",
      { class: "actions" },
      button("Use your passkey", () => run(view, () => answerPasskey(flow)), { id: "use-passkey" }),
      signOutButton(flow, "Cancel"),
    ),
  );
  return view;
};

function fillMfaStatus(node, flow) {
  const mfa = (flow.data || {}).mfa || {};
  const enabled = (mfa.enabled || []).map((m) => MFA_NAMES[m] || m);
  node.textContent = enabled.length
    ? "Two-factor authentication: on (" + enabled.join(", ") + (mfa.preferred ? "; preferred: " + (MFA_NAMES[mfa.preferred] || mfa.preferred) : "") + ")."
    : "Two-factor authentication: off.";
}

// The MFA settings: per factor, on or off and whether sign-in asks for it first. Each change
// is SetUserMFAPreference through the BFF, whose answer (the settings as they are now)
// refills the panel. With several factors on and none preferred, sign-in asks which to use.
function fillMfaSettings(node, flow, refill) {
  const factors = ((flow.data || {}).mfa || {}).factors || [];
  const change = (body, notice) => () =>
    run(node, () =>
      whileSignedIn(async () => {
        const next = await step("set_mfa_preference", body);
        refill(next);
        showNotice(notice);
      }),
    );
  const rows = factors.map((f) => {
    const name = MFA_NAMES[f.factor] || f.factor;
    const state = f.enabled ? (f.preferred ? "on, asked first" : "on") : f.available ? "off" : "off (needs a phone number)";
    const buttons = [];
    if (!f.enabled && f.available) {
      buttons.push(button("Turn on", change({ factor: f.factor, enabled: true }, "The " + name + " is on."), { class: "secondary", "data-action": "enable" }));
    }
    if (f.enabled && !f.preferred) {
      buttons.push(button("Ask first", change({ factor: f.factor, enabled: true, preferred: true }, "Sign-in now asks for the " + name + " first."), { class: "secondary", "data-action": "prefer" }));
    }
    if (f.enabled && f.preferred) {
      buttons.push(button("Let me choose", change({ factor: f.factor, enabled: true, preferred: false }, "No factor is asked first: with several on, sign-in asks which to use."), { class: "secondary", "data-action": "unprefer" }));
    }
    if (f.enabled) {
      buttons.push(button("Turn off", change({ factor: f.factor, enabled: false }, "The " + name + " is off."), { class: "secondary", "data-action": "disable" }));
    }
    return el("tr", { "data-factor": f.factor }, el("th", { scope: "row" }, name), el("td", { class: "mfa-state" }, state), el("td", {}, ...buttons));
  });
  node.replaceChildren(
    el(
      "table",
      { class: "devices", id: "mfa-factors" },
      el("thead", {}, el("tr", {}, ...["second factor", "state", ""].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, ...rows),
    ),
  );
}

// A new key for a new authenticator app: QR code and key (shown once), then its first code.
// The old app keeps working until the new one is verified.
// Replacing the authenticator app asks for the current password first (step-up): a
// wrong one is shown next to the field; the third in a session signs this browser out.
function replaceAuthenticatorSection() {
  const area = el("div", { id: "replace-area" });
  return el(
    "details",
    { class: "other", id: "replace-authenticator-section" },
    el("summary", {}, "Replace your authenticator app"),
    form(
      "replace-authenticator",
      [{ name: "password", label: "Current password", type: "password", autocomplete: "current-password" }],
      "Show the new key",
      (v) => whileSignedIn(async () => replaceAuthenticator(area, await step("replace_authenticator", { password: v.password }))),
    ),
    area,
  );
}

function replaceAuthenticator(area, flow) {
  const d = flow.data || {};
  const qr = d.qr_svg ? qrNode(d.qr_svg) : null;
  const cancel = button("Keep the current app", () => area.replaceChildren(), { class: "secondary", id: "replace-cancel" });
  area.replaceChildren(
    el("p", {}, "Scan this QR code with the new authenticator app, then enter the code it shows. Until then your current app keeps working; after that, only the new one does."),
    el(
      "div",
      { class: "qr", id: "replace-qr" },
      qr || el("p", {}, "The QR code could not be shown; enter the key by hand."),
      el("div", {}, el("p", {}, "Can't scan it? Enter this key:"), el("p", {}, el("code", { class: "secret", id: "replace-secret" }, groupSecret(d.secret || "")))),
    ),
    form(
      "verify-authenticator",
      [{ name: "code", label: "Code from the new app", autocomplete: "one-time-code", inputmode: "numeric" }],
      "Use the new app",
      (v) =>
        whileSignedIn(async () => {
          show(await step("verify_authenticator", { code: v.code }));
          showNotice("Your new authenticator app is set. Codes from the old one no longer work.");
        }),
      cancel,
    ),
  );
  focusFirst(area);
}

// Runs `action` (calls that need the session's tokens). A 401 not_authorized (Cognito refused
// the access token) is worth one refresh; any other 401, or a refused refresh, means this
// browser is signed out: the server session is ended and the start screen shown.
async function whileSignedIn(action) {
  try {
    await action();
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
    if (err.code === "not_authorized") {
      try {
        await api("POST", "/api/session/refresh", {});
        await action();
        return;
      } catch (again) {
        if (!(again instanceof ApiError) || again.status !== 401) throw again;
      }
    }
    await signedOutByServer(err.code === "step_up_failed" ? ERROR_TEXT.step_up_failed : SESSION_ENDED);
  }
}

async function signedOutByServer(reason = SESSION_ENDED) {
  try {
    await api("POST", STEP_PATHS.sign_out, {}); // ends what is left of the server session
  } catch (err) {
    if (!(err instanceof ApiError)) throw err; // 401 not_signed_in: nothing was left
  }
  forgetSignedIn();
  endedByServer = true;
  clearError();
  showNotice("");
  renderNoFlow(reason);
}

// Set when the server ended this browser's session, until a flow is shown again: a
// concurrent request that then resumes must not replace the reason with a plain start.
let endedByServer = false;

// Why a signed-in browser finds itself signed out, told the same after a request is refused
// and after a reload. The server deletes an ended session outright (no record says why), so
// the page names the reasons a session ends without this browser asking.
const SESSION_ENDED =
  "Your session was ended on the server: by a password change or reset, by \u201cSign out everywhere\u201d, by an administrator, or by a timeout. Sign in again.";
// This tab was signed in (sessionStorage: survives a reload, not the tab; holds no token).
const SIGNED_IN_KEY = "bff-demo-signed-in";

function rememberSignedIn() {
  try {
    sessionStorage.setItem(SIGNED_IN_KEY, "1");
  } catch (e) {
    /* storage off: a reload then just starts over */
  }
}

function forgetSignedIn() {
  try {
    sessionStorage.removeItem(SIGNED_IN_KEY);
  } catch (e) {
    /* storage off */
  }
}

function wasSignedIn() {
  try {
    return sessionStorage.getItem(SIGNED_IN_KEY) === "1";
  } catch (e) {
    return false;
  }
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

// This browser's device: the remembered one its cookie names, or, when it was not
// remembered, the one this session signed in with.
function isThisBrowser(device) {
  return device.this_browser || device.this_session;
}

// This browser first, then remembered devices, then the rest, most recent first.
function deviceOrder(a, b) {
  const rank = (d) => (isThisBrowser(d) ? 0 : d.remembered ? 1 : 2);
  return rank(a) - rank(b) || String(b.last_authenticated || "").localeCompare(String(a.last_authenticated || ""));
}

function fillDevices(tbody, view, devices, refill) {
  if (!devices.length) {
    tbody.replaceChildren(el("tr", {}, el("td", { colspan: 4 }, "No tracked devices.")));
    return;
  }
  tbody.replaceChildren(
    ...[...devices].sort(deviceOrder).map((device) => {
      const forget = button(
        "Forget",
        () =>
          run(view, () =>
            whileSignedIn(async () => {
              const answer = await api("DELETE", "/api/devices/" + encodeURIComponent(device.device_key));
              if (answer.signed_out) {
                // This session's own device: Cognito refreshes its tokens no more.
                forgetSignedIn();
                if (answer.flow) show(answer.flow);
                else renderNoFlow();
                showNotice("Device forgotten: this session was signed in with it and has ended.");
                return;
              }
              refill(answer.devices);
              showNotice(
                isThisBrowser(device)
                  ? "This browser is forgotten: its next sign-in asks for a code."
                  : "Device forgotten: its next sign-in asks for a code.",
              );
            }),
          ),
        { class: "secondary", "aria-label": "Forget " + (device.name || device.device_key) },
      );
      const name = (device.name || device.device_key) + (isThisBrowser(device) ? " (this browser)" : "");
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

function mount(node, status) {
  page.screen.replaceChildren(node);
  page.status.textContent = status;
  focusFirst(page.screen);
  refreshOutbox();
}

// `notice`: a sentence for the new screen (e.g. why the user is back at the start).
function show(flow, notice) {
  endedByServer = false;
  if (flow.state !== "SIGNED_OUT") showNotice("");
  const render = SCREENS[flow.state] || renderUnknown;
  // A finished flow offers nothing more; the start screen's steps begin a new one.
  const steps = flow.next_steps.length
    ? flow.next_steps.join(", ")
    : "none in this flow; a new one: " + NEW_STEPS.join(", ");
  mount(render(flow, notice), "state " + flow.state + " · next steps: " + steps);
}

function renderNoFlow(notice) {
  mount(renderStart(NEW_STEPS, notice), "no sign-in in progress");
}

// After a load, a reload, or a refused step: where is this browser's flow now?
async function resume() {
  try {
    const flow = (await api("GET", "/api/flow")).flow;
    if (flow) {
      if (flow.state !== "AUTHENTICATED") forgetSignedIn();
      show(flow);
    } else if (wasSignedIn() || endedByServer) {
      // Signed in before the reload, no session now: ended on the server, say why.
      forgetSignedIn();
      renderNoFlow(SESSION_ENDED);
    } else {
      renderNoFlow(); // a fresh page: GET /api/flow answers {"flow": null}
    }
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
      const kind = OUTBOX_KINDS[m.kind] || { what: m.kind, value: "code", field: "input[name=code]" };
      const value = m[kind.value];
      const what = kind.what;
      // The local Cognito says whether the code still works: "Use" only for a valid one
      // (no status: an older local Cognito, which could not tell).
      const status = m.status || "valid";
      const use =
        status === "valid"
          ? button("Use", () => {
              const target = page.screen.querySelector(kind.field);
              if (!target) return;
              target.value = value;
              // The value in the field is new: an error about the previous one no longer applies.
              clearError();
              target.focus();
            }, { class: "secondary", "aria-label": "Use this " + what })
          : el("span", { class: "status" }, OUTBOX_STATUS[status] || status);
      return el(
        "tr",
        { "data-kind": m.kind, "data-to": m.to, "data-status": status },
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


// Choice-based sign-in (USER_AUTH): "Email me a code" signs in without a password; "Choose
// how to sign in" asks Cognito which factors this account has (SELECT_CHALLENGE). An
// unknown email gets the same kind of answer, so the page says nothing about accounts.
const FACTOR_TEXT = {
  PASSWORD: "Password",
  PASSWORD_SRP: "Password (never sent: SRP)",
  EMAIL_OTP: "A code by email",
};

function choiceSignInCard() {
  const f = form(
    "sign-in-choice",
    [{ name: "username", label: "Email", type: "email", autocomplete: "username" }],
    "Email me a code",
    async (v) =>
      show(await step("sign_in_choice", { username: v.username, factor: "EMAIL_OTP", device_name: browserName() })),
  );
  f.querySelector(".actions").append(
    button(
      "Choose how to sign in",
      () =>
        run(f, async () => {
          const username = f.elements.username.value.trim();
          show(await step("sign_in_choice", { username, device_name: browserName() }));
        }),
      { class: "secondary", id: "sign-in-choose" },
    ),
  );
  return card("Sign in without a password", el("p", { class: "hint" }, "We email you a one-time code."), f);
}

function selectChallengeScreen(flow) {
  const d = flow.data || {};
  const factors = d.factors || [];
  const choices = factors.map((factor) => {
    if (factor === "EMAIL_OTP") {
      return button(FACTOR_TEXT[factor], () => run(page.screen, async () => show(await step("choose_factor", { factor }))), {
        id: "factor-EMAIL_OTP",
      });
    }
    return form(
      "factor-" + factor,
      [{ name: "password", label: FACTOR_TEXT[factor] || factor, type: "password", autocomplete: "current-password" }],
      "Sign in with " + (FACTOR_TEXT[factor] || factor).toLowerCase(),
      async (v) => show(await step("choose_factor", { factor, password: v.password })),
    );
  });
  return card(
    "How do you want to sign in?",
    el("p", {}, "Signing in as " + (d.username || "") + "."),
    factors.length ? null : el("p", { class: "warning", id: "no-factors" }, "This page supports none of the ways Cognito offers."),
    ...choices,
    el("div", { class: "actions" }, signOutButton(flow, "Cancel")),
  );
}

function emailCodeScreen(flow) {
  const d = flow.data || {};
  return card(
    "Check your email",
    el("p", {}, "We emailed a 6-digit code" + (d.destination ? " to " + d.destination : "") + ". Enter it to sign in."),
    form(
      "email-code",
      [{ name: "code", label: "Code from the email", autocomplete: "one-time-code", inputmode: "numeric" }],
      "Sign in",
      async (v) => show(await step("email_code", { code: v.code })),
      signOutButton(flow, "Cancel"),
    ),
  );
}

SCREENS.SELECT_CHALLENGE = selectChallengeScreen;
SCREENS.EMAIL_OTP = emailCodeScreen;

// The account panel's sign-in factors (GetUserAuthFactors): what choice-based sign-in
// offers this account, and its MFA.
function appendAuthFactors(panel, steps) {
  if (!steps.includes("auth_factors")) return;
  const line = el("p", { id: "auth-factors" }, "Ways to sign in: …");
  panel.append(line);
  run(
    panel,
    () =>
      whileSignedIn(async () => {
        const data = ((await api("GET", "/api/account/factors")).flow.data || {}).auth_factors || {};
        const names = { PASSWORD: "password", EMAIL_OTP: "email code", SMS_OTP: "text message code", WEB_AUTHN: "passkey", SOFTWARE_TOKEN: "authenticator app (MFA)" };
        const configured = (data.configured || []).map((f) => names[f] || f);
        line.textContent = "Ways to sign in: " + (configured.join(", ") || "none");
      }),
    true,
  );
}
