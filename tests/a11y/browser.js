// Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
// JSON messages ended by NUL on file descriptors 3 and 4), so no port, no WebSocket and
// no npm package are needed: it runs on Debian's Node 18 as well as on later ones.
const { spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

// Starts Chromium; resolves to a page session with `call(method, params)`,
// `evaluate(expression)` (awaits promises, returns the value), `open(url)` and `close()`
// (awaited: it removes the profile once Chromium is gone).
async function launch({ width = 1280, height = 900 } = {}) {
  const chromium = process.env.CHROMIUM || "chromium";
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "d2lbook-chromium-"));
  const child = spawn(
    chromium,
    ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
      "--disable-background-networking", "--no-first-run", "--hide-scrollbars",
      "--allow-file-access-from-files", `--user-data-dir=${profile}`,
      `--window-size=${width},${height}`, "--remote-debugging-pipe",
      // Headless Chromium reports no pointer that can hover: a desktop has a mouse.
      ...(width < 600 ? [] : ["--blink-settings=primaryHoverType=2,availableHoverTypes=2," +
        "primaryPointerType=4,availablePointerTypes=4"]),
      "about:blank"],
    { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const started = new Promise((resolve, reject) => {
    child.on("error", (e) => reject(new Error(`cannot start ${chromium}: ${e.message}`)));
    child.stdio[4].once("data", () => resolve());
    child.on("exit", (code) => reject(new Error(`${chromium} exited (${code}):\n${stderr}`)));
  });
  let id = 0;
  const waiting = new Map();
  let buffer = "";
  const listeners = new Set();
  child.stdio[4].on("data", (chunk) => {
    buffer += chunk.toString("utf8");
    let end;
    while ((end = buffer.indexOf("\0")) >= 0) {
      const message = JSON.parse(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
      if (!message.id) {
        for (const f of listeners) f(message);
        continue;
      }
      const w = waiting.get(message.id);
      if (w) {
        waiting.delete(message.id);
        if (message.error) w.reject(new Error(JSON.stringify(message.error)));
        else w.resolve(message.result);
      }
    }
  });
  const send = (method, params = {}, sessionId) =>
    new Promise((resolve, reject) => {
      waiting.set(++id, { resolve, reject });
      child.stdio[3].write(JSON.stringify({ id, method, params, sessionId }) + "\0");
    });
  // Chromium writes nothing on the pipe until asked: the first answer means it is up.
  const version = send("Browser.getVersion");
  await Promise.race([started, version]);
  await version;
  const { targetId } = await send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
  const call = (method, params) => send(method, params, sessionId);
  await call("Page.enable");
  await call("Emulation.setDeviceMetricsOverride", {
    width, height, deviceScaleFactor: 1, mobile: width < 600,
  });
  // A phone's width comes with a phone's touch screen: (hover: none), (pointer: coarse).
  if (width < 600) await call("Emulation.setTouchEmulationEnabled", { enabled: true, maxTouchPoints: 5 });
  const evaluate = async (expression) => {
    const r = await call("Runtime.evaluate", {
      expression, awaitPromise: true, returnByValue: true,
    });
    if (r.exceptionDetails) throw new Error(`${expression.slice(0, 80)}…: ${r.exceptionDetails.exception?.description}`);
    return r.result.value;
  };
  return {
    call,
    evaluate,
    // Loads `url` and waits for its load event (scripts deferred to it have run).
    async open(url) {
      let listener, timer;
      const loaded = new Promise((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`${url} did not load in 30 s`)), 30000);
        listener = (m) => {
          if (m.sessionId === sessionId && m.method === "Page.loadEventFired") {
            clearTimeout(timer);
            resolve();
          }
        };
        listeners.add(listener);
      });
      try {
        const r = await call("Page.navigate", { url });
        if (r.errorText) throw new Error(`${url}: ${r.errorText}`);
        await loaded;
      } finally {
        clearTimeout(timer);
        listeners.delete(listener);
      }
    },
    async close() {
      const exited = new Promise((r) => child.once("exit", r));
      // Browser.close ends Chromium's helper processes too; a kill of the main one may
      // leave them writing into the profile while it is removed.
      const killer = setTimeout(() => child.kill(), 5000);
      send("Browser.close").catch(() => child.kill());
      await exited;
      clearTimeout(killer);
      try {
        fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
      } catch (e) {
        // A leftover temporary profile is not a finding of the check.
        console.error(`note: could not remove ${profile}: ${e.message}`);
      }
    },
  };
}

module.exports = { launch };
