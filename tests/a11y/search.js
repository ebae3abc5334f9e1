// The site's search as a reader uses it: the built site served over HTTP (a static
// server in this script, as any host would serve it), a page opened in headless
// Chromium, a query typed into the search box, and the results the box then lists.
//
//   node search.js SITE_DIR PAGE [WIDTH] -- QUERY...
//
// Prints one JSON line per query: {query, results: [{title, part, href, snippet,
// marked}], box: {left, right}} (the results box's edges, to check it fits the screen).
const http = require("http");
const fs = require("fs");
const path = require("path");
const { launch } = require("./browser.js");

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css",
  ".svg": "image/svg+xml", ".json": "application/json", ".wasm": "application/wasm",
  ".otf": "font/otf",
};

function serve(root) {
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const file = path.join(root, path.normalize(url).replace(/^(\.\.[/\\])+/, ""));
    if (!file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] || "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function main() {
  const args = process.argv.slice(2);
  const split = args.indexOf("--");
  const [siteDir, page, width] = args.slice(0, split);
  const queries = args.slice(split + 1);
  const server = await serve(path.resolve(siteDir));
  const { port } = server.address();
  const browser = await launch({ width: Number(width || 1280), height: 900 });
  try {
    await browser.open(`http://127.0.0.1:${port}/${page}`);
    for (const query of queries) {
      const found = await browser.evaluate(`(async () => {
        const input = document.getElementById("search-input");
        const box = document.getElementById("search-results");
        input.focus();
        input.value = ${JSON.stringify(query)};
        input.dispatchEvent(new Event("input"));
        const until = Date.now() + 15000;
        while (Date.now() < until) {
          await new Promise((r) => setTimeout(r, 100));
          if (!box.hidden && box.getAttribute("data-query") === input.value) break;
        }
        const rect = box.getBoundingClientRect();
        return {
          results: [...box.querySelectorAll(".search-result")].map((a) => ({
            title: a.querySelector(".search-result-title")?.textContent || "",
            part: a.querySelector(".search-result-part")?.textContent || "",
            href: a.getAttribute("href"),
            snippet: a.querySelector(".search-result-snippet")?.textContent || "",
            marked: [...a.querySelectorAll("mark")].map((m) => m.textContent),
          })),
          empty: box.querySelector(".search-empty")?.textContent || "",
          box: { left: rect.left, right: rect.right, viewport: window.innerWidth },
        };
      })()`);
      console.log(JSON.stringify({ query, ...found }));
    }
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
