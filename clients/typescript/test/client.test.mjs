// The client against a real `bff serve`: sign-up → confirm → sign-in → MFA set-up →
// remember device → sign out → sign-in with the remembered device (no MFA), and the
// errors as typed exceptions.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { BffClient, BffError, remoteError, retryAfterSeconds } from "../dist/index.js";
import { browserFetch, cognitoNow, latestMessage, startBff, totp } from "./support.mjs";

const PASSWORD = "Corr3ct-Horse!";
let server;

before(async () => {
  server = await startBff();
});

after(async () => {
  await server?.stop();
});

function expectState(flow, state) {
  assert.equal(flow.state, state, `expected ${state}, got ${JSON.stringify(flow)}`);
  return flow;
}

test("sign-up, MFA set-up, remembered device: the next sign-in skips MFA", async () => {
  const browser = browserFetch();
  const client = new BffClient({ baseUrl: server.bff, fetch: browser.fetch });
  const email = `ts-${Date.now()}@example.com`;

  assert.equal(await client.currentFlow(), null);

  let flow = expectState(await client.signUp({ email, password: PASSWORD }), "SIGNED_UP");
  assert.equal(flow.data.username, email);
  assert.equal(flow.data.code_delivery?.medium, "EMAIL");
  assert.ok(flow.next_steps.includes("confirm"));

  const { code } = await latestMessage(server.cognito, email, "confirmation_code");
  flow = expectState(await client.confirmSignUp({ code }), "CONFIRMED");
  assert.ok(flow.next_steps.includes("sign_in"));

  flow = await client.signIn({ username: email, password: PASSWORD, device_name: "node test" });
  expectState(flow, "MFA_SETUP");
  if (flow.state !== "MFA_SETUP") return; // narrows flow.data for the compiler's sake
  assert.match(flow.data.otpauth_uri ?? "", /^otpauth:\/\/totp\//);
  assert.match(flow.data.qr_svg ?? "", /^<svg/);
  const secret = flow.data.secret ?? "";
  // A reload does not repeat the key (shown once).
  const reloaded = expectState(await client.currentFlow(), "MFA_SETUP");
  assert.equal(reloaded.data.secret, undefined);

  const mfaCode = totp(secret, await cognitoNow(server.cognito));
  flow = expectState(await client.verifyMfaSetup({ code: mfaCode }), "AUTHENTICATED");
  if (flow.state !== "AUTHENTICATED") return;
  assert.equal(flow.data.can_remember_device, true);
  assert.ok(flow.next_steps.includes("remember_device"));

  flow = expectState(await client.rememberDevice({ remember: true }), "AUTHENTICATED");
  if (flow.state !== "AUTHENTICATED") return;
  assert.equal(flow.data.device_remembered, true);

  const me = await client.me();
  assert.equal(me.user["email"], email);
  const { devices } = await client.devices();
  assert.equal(devices.filter((d) => d.this_browser && d.remembered).length, 1);

  const session = await client.session();
  assert.equal(session.user["email"], email);

  // The team's own API through the token relay: the notes `bff serve` runs locally.
  const created = await client.remote("notes", "/notes", { method: "POST", json: { text: "hi" } });
  assert.ok(created.ok, `POST /notes answered ${created.status}`);
  const listed = await client.remote("notes", "notes");
  assert.equal(listed.status, 200);
  assert.ok(JSON.stringify(await listed.json()).includes("hi"));
  const refused = await client.remote("notes", "/notes", { method: "PUT", json: {} });
  const error = await remoteError(refused);
  assert.ok(error instanceof BffError && error.status === 405, `PUT answered ${refused.status}`);

  const signedOut = await client.signOut();
  assert.equal(signedOut.signed_out, true);
  await assert.rejects(client.me(), (error) => error instanceof BffError && error.status === 401);

  // The remembered device answers Cognito's device challenge: no MFA code asked.
  flow = await client.signIn({ username: email, password: PASSWORD });
  expectState(flow, "AUTHENTICATED");
  assert.equal((await client.me()).user["email"], email);
  await client.signOut();

  // Every call sent the CSRF header and asked for the cookies; no token ever came back.
  for (const { init } of browser.sent) {
    assert.equal(new Headers(init.headers).get("X-CSRF"), "1");
    assert.equal(init.credentials, "include");
  }
  assert.deepEqual([...browser.jar.keys()].filter((name) => name.includes("session")), []);
  assert.ok(browser.jar.has("bff_device"), "the remembered device's cookie stays");
});

test("errors are BffError with the API's code, details and Retry-After", async () => {
  const client = new BffClient({ baseUrl: server.bff, fetch: browserFetch().fetch });

  const wrong = await client.signIn({ username: "nobody@example.com", password: PASSWORD }).catch((e) => e);
  assert.ok(wrong instanceof BffError);
  assert.equal(wrong.code, "not_authorized");
  assert.equal(wrong.retryAfter, null);

  const invalid = await client.signUp({ email: "not an address", password: PASSWORD }).catch((e) => e);
  assert.ok(invalid instanceof BffError);
  assert.equal(invalid.status, 422);
  assert.equal(invalid.code, "invalid_input");
  assert.ok("email" in invalid.fieldErrors);

  const illegal = await client.verifyMfaSetup({ code: "123456" }).catch((e) => e);
  assert.ok(illegal instanceof BffError);
  assert.ok(["no_flow", "illegal_step"].includes(illegal.code), illegal.code);
});

test("Retry-After: seconds or an HTTP date", () => {
  assert.equal(retryAfterSeconds("7"), 7);
  assert.equal(retryAfterSeconds(null), null);
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(retryAfterSeconds("Thu, 01 Jan 2026 00:00:30 GMT", now), 30);
  assert.equal(retryAfterSeconds("soon", now), null);
});

test("a 429 carries Retry-After as a number", async () => {
  const client = new BffClient({ baseUrl: server.bff, fetch: browserFetch().fetch });
  // Unknown users' wrong passwords from one address: the per-address sign-in limit.
  let limited;
  for (let attempt = 0; attempt < 50 && !limited; attempt += 1) {
    const error = await client
      .signIn({ username: `limit-${attempt}@example.com`, password: PASSWORD })
      .catch((e) => e);
    assert.ok(error instanceof BffError);
    if (error.status === 429) limited = error;
  }
  assert.ok(limited, "no 429 after 50 sign-ins");
  assert.equal(limited.code, "too_many_requests");
  assert.ok(Number.isInteger(limited.retryAfter) && limited.retryAfter > 0, String(limited.retryAfter));
});
