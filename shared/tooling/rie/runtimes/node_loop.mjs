// A minimal Lambda runtime for Node.js, for `jwtgate dev` only.
//
// It speaks the Lambda Runtime API as Amazon's Node.js runtime does: load the
// handler once at init ("file.export", the file found as .js, .mjs or .cjs
// under LAMBDA_TASK_ROOT), report a failure to /runtime/init/error, then for
// each invocation call handler(event, context) (an async handler, or one
// taking a callback) and post the JSON result, or the error as
// {"errorMessage", "errorType", "stackTrace"}. The emulator runs it as:
//
//     aws-lambda-rie node node_loop.mjs index.handler
//
// Node's own fetch only: nothing to install.
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const api = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;

async function post(p, body, headers = {}) {
  await fetch(api + p, { method: "POST", body, headers: { "Content-Type": "application/json", ...headers } });
}

function errorBody(err, type) {
  return JSON.stringify({
    errorType: type || (err && err.name) || "Error",
    errorMessage: err && err.message !== undefined ? String(err.message) : String(err),
    stackTrace: err && err.stack ? String(err.stack).split("\n") : [],
  });
}

async function load(handler) {
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const dot = handler.lastIndexOf(".");
  if (dot <= 0) throw Object.assign(new Error(`Bad handler ${handler}`), { name: "Runtime.MalformedHandlerName" });
  const base = path.join(root, handler.slice(0, dot));
  const file = [".js", ".mjs", ".cjs"].map((ext) => base + ext).find(existsSync);
  if (!file) throw Object.assign(new Error(`Cannot find module '${base}'`), { name: "Runtime.ImportModuleError" });
  const mod = await import(pathToFileURL(file).href);
  const name = handler.slice(dot + 1);
  const fn = mod[name] ?? (mod.default && mod.default[name]);
  if (typeof fn !== "function") {
    throw Object.assign(new Error(`${handler} is undefined or not exported`), { name: "Runtime.HandlerNotFound" });
  }
  return fn;
}

function invoke(fn, event, context) {
  return new Promise((resolve, reject) => {
    const callback = (err, result) => (err ? reject(err) : resolve(result));
    const out = fn(event, context, callback);
    if (out && typeof out.then === "function") out.then(resolve, reject);
    else if (fn.length < 3) resolve(out);
  });
}

async function main() {
  const handlerName = process.argv[2] || process.env._HANDLER;
  let fn;
  try {
    fn = await load(handlerName);
  } catch (err) {
    await post("/init/error", errorBody(err), { "Lambda-Runtime-Function-Error-Type": err.name || "Runtime.ImportModuleError" });
    process.exit(1);
  }
  for (;;) {
    const next = await fetch(api + "/invocation/next");
    const requestId = next.headers.get("lambda-runtime-aws-request-id");
    const deadline = Number(next.headers.get("lambda-runtime-deadline-ms") || 0);
    const event = JSON.parse((await next.text()) || "null");
    const context = {
      awsRequestId: requestId,
      invokedFunctionArn: next.headers.get("lambda-runtime-invoked-function-arn"),
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    try {
      const result = await invoke(fn, event, context);
      await post(`/invocation/${requestId}/response`, JSON.stringify(result === undefined ? null : result));
    } catch (err) {
      await post(`/invocation/${requestId}/error`, errorBody(err), { "Lambda-Runtime-Function-Error-Type": "Unhandled" });
    }
  }
}

main();
