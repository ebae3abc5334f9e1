// `d2lbook serve` in a real browser (headless Chromium over the DevTools protocol), on a
// copy of the fixture book: a broken edit shows the error overlay (screenshot written to
// OUT), the fix reloads the page with its scroll position and no overlay, an edit of
// another page leaves this one alone, and a restart of serve reloads it.
//
// usage: node --experimental-websocket bench/serve_browser.js [OUT=overlay.png]
//        (after `cargo build`; D2LBOOK and CHROMIUM pick the binaries)
const { spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const root = path.dirname(__dirname);
const target = process.env.CARGO_TARGET_DIR || path.join(root, "target");
const d2lbook = process.env.D2LBOOK || path.join(target, "debug", "d2lbook");
const chromium = process.env.CHROMIUM || "chromium";
const out = process.argv[2] || "overlay.png";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const book = fs.mkdtempSync(path.join(os.tmpdir(), "d2lbook-browser-"));
fs.cpSync(path.join(root, "tests/books/en"), book, { recursive: true });
const port = 3000 + Math.floor(Math.random() * 20000);
const devtools = port + 1;
let server = null;
const children = [];

function serve() {
  server = spawn(d2lbook, ["--root", book, "serve", "--port", String(port), "--no-eval"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.push(server);
  let log = "";
  return new Promise((resolve, reject) => {
    server.stderr.on("data", (d) => {
      log += d;
      if (log.includes("serving the book at")) resolve();
    });
    server.on("exit", () => reject(new Error(`serve stopped:\n${log}`)));
  });
}

async function main() {
  await serve();
  children.push(
    spawn(chromium, ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
      "--hide-scrollbars", "--window-size=1100,700", `--remote-debugging-port=${devtools}`,
      "about:blank"], { stdio: "ignore" }),
  );
  const page = `http://127.0.0.1:${port}/chap_one/basics.html`;
  let tab;
  for (let i = 0; i < 100 && !tab; i++) {
    try {
      tab = await (await fetch(`http://127.0.0.1:${devtools}/json/new?${page}`, { method: "PUT" })).json();
    } catch (e) {
      await sleep(200);
    }
  }
  const ws = new WebSocket(tab.webSocketDebuggerUrl);
  await new Promise((r) => (ws.onopen = r));
  let id = 0;
  const waiting = {};
  ws.onmessage = (m) => {
    const d = JSON.parse(m.data);
    if (d.id && waiting[d.id]) waiting[d.id](d.result);
  };
  const call = (method, params = {}) =>
    new Promise((r) => {
      waiting[++id] = r;
      ws.send(JSON.stringify({ id, method, params }));
    });
  const evaluate = async (e) =>
    (await call("Runtime.evaluate", { expression: `JSON.stringify(${e})`, returnByValue: true })).result.value;
  const state = () =>
    evaluate("{overlay: !!document.getElementById('d2lbook-errors'), y: scrollY, " +
      "same: window.__mark === 1, text: document.body.textContent}").then(JSON.parse);
  const source = path.join(book, "src/chap_one/basics.md");
  const original = fs.readFileSync(source, "utf8");
  const results = [];
  const check = (what, ok) => results.push(`${ok ? "ok  " : "FAIL"} ${what}`);

  await sleep(1500);
  await evaluate("(scrollTo(0, 400), window.__mark = 1)");
  fs.writeFileSync(source, original + "\n![gone](img/<nothere>.png)\n");
  await sleep(1500);
  let s = await state();
  check("a broken edit shows the overlay, the page stays", s.overlay && s.same);
  const shot = await call("Page.captureScreenshot", { format: "png" });
  fs.writeFileSync(out, Buffer.from(shot.data, "base64"));

  fs.writeFileSync(source, original + "\nFixed and reloaded.\n");
  await sleep(1500);
  s = await state();
  check("the fix reloads the page, overlay gone, scroll kept",
    !s.same && !s.overlay && s.y === 400 && s.text.includes("Fixed and reloaded."));

  await evaluate("window.__mark = 1");
  fs.appendFileSync(path.join(book, "src/preface.md"), "\nAnother page edited.\n");
  await sleep(1500);
  s = await state();
  check("an edit of another page does not reload this one", s.same);

  server.kill("SIGINT");
  await new Promise((r) => server.on("exit", r));
  await serve();
  await sleep(5000);
  s = await state();
  check("a restart of serve reloads the page", !s.same);

  console.log(results.join("\n") + `\noverlay screenshot: ${out}`);
  return results.every((r) => r.startsWith("ok"));
}

main()
  .then((ok) => (process.exitCode = ok ? 0 : 1))
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill();
    fs.rmSync(book, { recursive: true, force: true });
    setTimeout(() => process.exit(), 200);
  });
