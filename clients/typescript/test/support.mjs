// Test support: `bff serve` on free ports with a temporary instance folder, a cookie jar
// (node's fetch keeps no cookies; a browser would), the local Cognito's outbox and clock
// over HTTP, and RFC 6238 TOTP codes computed with node:crypto at that clock's time.
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(new URL(".", import.meta.url));
/** The `bff` command: BFF_COMMAND, else the checkout's .venv. */
export const BFF_COMMAND = process.env.BFF_COMMAND || resolve(HERE, "../../../.venv/bin/bff");

/** Start `bff serve --port 0 --cognito-port 0`; resolves with {bff, cognito, stop}. */
export async function startBff() {
  const workdir = mkdtempSync(join(tmpdir(), "bff-client-"));
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("COGNITO_") && !k.startsWith("BFF_")),
  );
  env.BFF_INSTANCE_PATH = join(workdir, "instance");
  env.PYTHONUNBUFFERED = "1";
  const child = spawn(BFF_COMMAND, ["serve", "--port", "0", "--cognito-port", "0"], {
    cwd: workdir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stderr.on("data", (chunk) => {
    log = (log + chunk).slice(-20000);
  });
  const exited = new Promise((done) => child.once("exit", done));
  const urls = {};
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const match = line.match(/^(.*?)\s+(http:\/\/\S+)/);
    if (match) urls[match[1].trim()] = match[2];
    if (line.startsWith("Ctrl-C")) break;
  }
  if (!urls["BFF"] || !urls["local Cognito"]) {
    child.kill("SIGTERM");
    throw new Error(`bff serve did not start (${BFF_COMMAND}):\n${log}`);
  }
  child.stdout.resume(); // keep draining what it prints
  return {
    bff: urls["BFF"].replace(/\/api$/, ""),
    cognito: urls["local Cognito"],
    async stop() {
      child.kill("SIGTERM"); // bff serve stops cleanly on SIGTERM
      await exited;
      rmSync(workdir, { recursive: true, force: true });
    },
  };
}

/** A fetch with one cookie jar (what the browser does for `credentials: "include"`), and
 * a record of every request it sent. */
export function browserFetch() {
  const jar = new Map();
  const sent = [];
  async function jarFetch(url, init = {}) {
    sent.push({ url: String(url), init });
    const headers = new Headers(init.headers);
    if (jar.size) headers.set("Cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const response = await fetch(url, { ...init, headers });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair, ...attributes] = cookie.split(";").map((part) => part.trim());
      const at = pair.indexOf("=");
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      const gone = attributes.some((a) => /^max-age=0$/i.test(a) || /^expires=.*1970/i.test(a));
      if (gone || value === "") jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  }
  return { fetch: jarFetch, jar, sent };
}

/** The newest message of `kind` the local Cognito "sent" to `to`. */
export async function latestMessage(cognito, to, kind) {
  const url = `${cognito}/_local/outbox?to=${encodeURIComponent(to)}&kind=${kind}`;
  const messages = await (await fetch(url)).json();
  if (!messages.length) throw new Error(`no ${kind} for ${to} in the outbox`);
  return messages[messages.length - 1];
}

function base32(secret) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const char of secret.replace(/=+$/, "").toUpperCase()) {
    const index = alphabet.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    bits += index.toString(2).padStart(5, "0");
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The RFC 6238 code (SHA-1, 6 digits, 30-s steps) of `secret` at `seconds`. */
export function totp(secret, seconds) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(seconds / 30)));
  const digest = createHmac("sha1", base32(secret)).update(counter).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  const number = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(number % 1_000_000).padStart(6, "0");
}

/** Seconds since the epoch on the local Cognito's clock (tests may move it). */
export async function cognitoNow(cognito) {
  const { offset_seconds: offset } = await (await fetch(`${cognito}/_local/clock`)).json();
  return Date.now() / 1000 + offset;
}
