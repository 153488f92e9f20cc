// The local cloud's Node.js runtime: the Lambda Runtime API loop of AWS's
// nodejs runtimes, for a handler given as _HANDLER=file.export (file may be
// a path: dir/file.export) under LAMBDA_TASK_ROOT; async handlers and
// callback handlers are both served.
"use strict";
const http = require("http");
const path = require("path");
const fs = require("fs");

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const base = "/2018-06-01/runtime/";

function request(method, p, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(body);
    const req = http.request({ host, port, method, path: base + p, headers: data ? { "Content-Type": "application/json", "Content-Length": data.length } : {} }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    if (data) req.write(data);
    req.end();
  });
}

function errorBody(err, type) {
  const e = err instanceof Error ? err : new Error(String(err));
  return JSON.stringify({ errorType: type || e.name || "Error", errorMessage: e.message, trace: String(e.stack || "").split("\n") });
}

async function loadHandler() {
  const spec = process.env._HANDLER || "";
  const dot = spec.lastIndexOf(".");
  const modPath = spec.slice(0, dot);
  const name = spec.slice(dot + 1);
  const root = process.env.LAMBDA_TASK_ROOT || ".";
  let file = null;
  for (const ext of [".js", ".cjs", ".mjs"]) {
    if (fs.existsSync(path.join(root, modPath + ext))) { file = path.join(root, modPath + ext); break; }
  }
  if (dot < 1 || file === null) {
    const err = new Error("Cannot find module '" + modPath + "'");
    throw Object.assign(err, { lambdaType: "Runtime.ImportModuleError", message: "Error: Cannot find module '" + modPath + "'" });
  }
  const mod = file.endsWith(".mjs") ? await import(file) : require(file);
  const fn = mod[name];
  if (typeof fn !== "function") {
    throw Object.assign(new Error(modPath + "." + name + " is undefined or not exported"), { lambdaType: "Runtime.HandlerNotFound" });
  }
  return fn;
}

function invoke(fn, event, context) {
  return new Promise((resolve, reject) => {
    const callback = (err, result) => (err ? reject(err) : resolve(result));
    try {
      const out = fn(event, context, callback);
      if (out && typeof out.then === "function") out.then(resolve, reject);
      else if (fn.length < 3) resolve(out);
    } catch (err) {
      reject(err);
    }
  });
}

async function main() {
  let fn;
  try {
    fn = await loadHandler();
  } catch (err) {
    console.error("ERROR", err.message);
    await request("POST", "init/error", errorBody(err, err.lambdaType));
    process.exit(1);
  }
  for (;;) {
    const next = await request("GET", "invocation/next");
    const h = next.headers;
    const id = h["lambda-runtime-aws-request-id"];
    const deadline = Number(h["lambda-runtime-deadline-ms"] || 0);
    const context = {
      awsRequestId: id,
      invokedFunctionArn: h["lambda-runtime-invoked-function-arn"],
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
      callbackWaitsForEmptyEventLoop: true,
    };
    process.env._X_AMZN_TRACE_ID = h["lambda-runtime-trace-id"] || "";
    try {
      const result = await invoke(fn, next.body ? JSON.parse(next.body) : null, context);
      await request("POST", "invocation/" + id + "/response", JSON.stringify(result === undefined ? null : result));
    } catch (err) {
      console.error("ERROR", err instanceof Error ? err.stack : err);
      await request("POST", "invocation/" + id + "/error", errorBody(err));
    }
  }
}

main();
