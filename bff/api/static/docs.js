// The API page: reads /api/openapi.json and renders every operation with a "try it" form.
// Self-contained (no CDN: this page must work offline); served under a CSP that allows
// only same-origin scripts, styles and fetches.
"use strict";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

// OpenAPI summaries and descriptions are CommonMark: show `code` spans as code, everything
// else as text (never as HTML).
function inline(text) {
  return (text || "").split(/`([^`]+)`/).map((part, i) => (i % 2 ? el("code", {}, part) : part));
}

function markdown(text) {
  return el("p", {}, ...inline(text));
}

function resolve(spec, schema) {
  if (schema && schema.$ref) {
    return spec.components.schemas[schema.$ref.split("/").pop()];
  }
  return schema || {};
}

function example(spec, schema, depth) {
  schema = resolve(spec, schema);
  if (depth > 3) return null;
  if (schema.type === "array") return [example(spec, schema.items, depth + 1)];
  if (schema.type === "object" || schema.properties) {
    const out = {};
    for (const [name, prop] of Object.entries(schema.properties || {})) {
      if (!prop.readOnly) out[name] = example(spec, prop, depth + 1);
    }
    return out;
  }
  if (schema.type === "boolean") return true;
  if (schema.type === "integer") return 1;
  if (schema.format === "email") return "ada@example.com";
  return "";
}

function operation(spec, path, method, op) {
  const params = (op.parameters || []).filter((p) => p.in === "path");
  const body = op.requestBody && op.requestBody.content["application/json"];
  const form = el("div");
  const inputs = {};
  for (const p of params) {
    inputs[p.name] = el("input", { name: p.name });
    form.append(el("label", {}, p.name + " ", inputs[p.name]));
  }
  const query = el("input", { placeholder: "query string, e.g. limit=10" });
  if ((op.parameters || []).some((p) => p.in === "query")) form.append(el("label", {}, "? ", query));
  const text = el("textarea");
  if (body) {
    text.value = JSON.stringify(example(spec, body.schema, 0), null, 2);
    form.append(text);
  }
  const out = el("pre");
  const send = el("button", { type: "button" }, "Try it");
  send.addEventListener("click", async () => {
    let url = path.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(inputs[name].value));
    url = url.replace(/<(?:\w+:)?(\w+)>/g, (_, name) => encodeURIComponent(inputs[name].value));
    if (query.value) url += "?" + query.value;
    const headers = { "X-CSRF": "1" };
    const key = document.getElementById("admin-key").value;
    if (key && path.startsWith("/api/admin")) headers["X-Admin-Key"] = key;
    const init = { method: method.toUpperCase(), headers, credentials: "same-origin" };
    if (body) {
      headers["Content-Type"] = "application/json";
      init.body = text.value;
    }
    const response = await fetch(url, init);
    const answer = await response.text();
    let shown = answer;
    try { shown = JSON.stringify(JSON.parse(answer), null, 2); } catch (e) { /* not JSON */ }
    out.textContent = response.status + " " + response.statusText + "\n" + shown;
  });
  form.append(send, out);
  const title = el("summary", {}, el("span", { class: "method " + method.toUpperCase() },
    method.toUpperCase()), " " + path + " — ", ...inline(op.summary));
  return el("details", {}, title, markdown(op.description), form);
}

async function main() {
  const spec = await (await fetch("/api/openapi.json")).json();
  const root = document.getElementById("operations");
  root.textContent = "";
  root.append(markdown(spec.info.description));
  const byTag = {};
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (method === "parameters") continue;
      const tag = (op.tags || ["other"])[0];
      (byTag[tag] = byTag[tag] || []).push(operation(spec, path, method, op));
    }
  }
  for (const [tag, ops] of Object.entries(byTag)) {
    const info = (spec.tags || []).find((t) => t.name === tag);
    root.append(el("h2", {}, tag), markdown(info ? info.description : ""), ...ops);
  }
}

main().catch((error) => {
  document.getElementById("operations").textContent = "Could not load the API: " + error;
});
