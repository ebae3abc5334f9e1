// Reads a built site in headless Chromium the way readers meet it, and reports:
// - axe-core's accessibility violations on every page, in the light and the dark palette
//   at 1280 px and on a phone (390 px, touch);
// - details a reader notices on a phone (390 px, touch) and a desktop (1280 px): copy
//   buttons that cover code, tensors pushed away from their caption, plot text under
//   10 px, plots without a name, Japanese paragraphs that are not justified.
// Exits with 1 when axe finds a serious or critical violation or a check fails.
//
// usage: node tests/a11y/check.js SITE_DIR   (after `npm ci` in tests/a11y; CHROMIUM
//        names the browser, default `chromium`)
const fs = require("fs");
const path = require("path");
const { pathToFileURL } = require("url");
const { launch } = require("./browser.js");

const site = path.resolve(process.argv[2] || "_build/html");
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

// The book's pages. Not 404.html: its links start from the host's root (it is shown at
// any depth), which a file:// URL does not have.
function pages(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return pages(p);
    return e.name.endsWith(".html") && p !== path.join(site, "404.html") ? [p] : [];
  }).sort();
}

// What each check measures, in the page; returns a list of problems (empty: fine).
const measure = `(() => {
  const problems = [];
  const where = (e) => (e.id ? "#" + e.id : "") + " " + e.outerHTML.slice(0, 80);
  const box = (e) => e.getBoundingClientRect();
  const visible = (e) => {
    const s = getComputedStyle(e);
    return s.display !== "none" && s.visibility !== "hidden" && parseFloat(s.opacity) > 0.05;
  };
  // A code block's buttons stay off its text.
  for (const pre of document.querySelectorAll(".code-block pre.code")) {
    const s = getComputedStyle(pre), r = box(pre);
    const text = {
      top: r.top + parseFloat(s.borderTopWidth) + parseFloat(s.paddingTop),
      bottom: r.bottom - parseFloat(s.borderBottomWidth) - parseFloat(s.paddingBottom),
      left: r.left + parseFloat(s.borderLeftWidth) + parseFloat(s.paddingLeft),
      right: r.right - parseFloat(s.borderRightWidth),
    };
    for (const b of pre.parentElement.querySelectorAll(":scope > button")) {
      const q = box(b);
      const over = q.bottom > text.top && q.top < text.bottom && q.right > text.left && q.left < text.right;
      if (visible(b) && over) problems.push("a code block's button covers its code: " + where(b));
    }
  }
  // A tensor's numbers start under its caption, whatever its shape.
  for (const table of document.querySelectorAll("table.tensor")) {
    const caption = table.caption || table.closest("figure").querySelector("figcaption");
    const cells = [...table.querySelectorAll("tr > td:first-child")];
    const starts = cells.map((td) => {
      const range = document.createRange();
      range.selectNodeContents(td);
      return range.getBoundingClientRect().left;
    });
    const gap = Math.min(...starts) - box(caption).left;
    if (cells.length && Math.abs(gap) > 2)
      problems.push("a tensor's first column starts " + gap.toFixed(0) + " px from its caption: " + caption.textContent);
  }
  // A plot's text is at least 10 px as shown, and the plot has a name.
  for (const svg of document.querySelectorAll(".output-svg svg")) {
    // A plot of a tab not selected is not shown: it is read when its tab is.
    if (!svg.getClientRects().length) continue;
    const scale = box(svg).width / svg.viewBox.baseVal.width;
    const sizes = [...svg.querySelectorAll("text")].map((t) => parseFloat(t.getAttribute("font-size")) * scale);
    const smallest = Math.min(...sizes);
    if (smallest < 10) problems.push("a plot's text is " + smallest.toFixed(1) + " px: " + (svg.getAttribute("aria-label") || ""));
    if (svg.getAttribute("role") !== "img" || !svg.getAttribute("aria-label"))
      problems.push("a plot has no role=img and aria-label: " + where(svg));
  }
  // Japanese paragraphs are justified between characters.
  if (document.documentElement.lang === "ja") {
    const p = document.querySelector(".content > p");
    const s = p && getComputedStyle(p);
    if (s && (s.textAlign !== "justify" || s.textJustify !== "inter-character"))
      problems.push("a Japanese paragraph is " + s.textAlign + " / " + s.textJustify);
  }
  return problems;
})()`;

const runAxe = `axe.run(document, { resultTypes: ["violations"] }).then((r) =>
  r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ") + (n.any[0] ? " (" + n.any[0].message + ")" : "")),
  })))`;

// The site's math font (cut to the book's glyphs) loads where a page has math: a font
// the browser's sanitizer refused would leave the math in a fallback font.
const mathFont = `(async () => {
  if (!document.querySelector("math")) return [];
  await document.fonts.ready;
  const faces = [...document.fonts].filter((f) => f.family.replace(/"/g, "") === "NewCM Math");
  if (faces.length === 0) return ["no @font-face for the math font"];
  return faces.filter((f) => f.status !== "loaded").map((f) => "the math font did not load: " + f.status);
})()`;

async function main() {
  const files = pages(site);
  if (files.length === 0) throw new Error(`no pages under ${site}`);
  const counts = { critical: 0, serious: 0, moderate: 0, minor: 0 };
  const findings = [];
  const failures = [];
  const record = (name, how, violations) => {
    for (const v of violations) {
      counts[v.impact] = (counts[v.impact] || 0) + v.nodes.length;
      findings.push(`${v.impact} ${v.id} [${name}, ${how}] ${v.help}\n` +
        v.nodes.slice(0, 5).map((n) => `    ${n}`).join("\n") +
        (v.nodes.length > 5 ? `\n    … ${v.nodes.length - 5} more` : ""));
    }
  };

  const desktop = await launch({ width: 1280, height: 900 });
  try {
    for (const file of files) {
      const name = path.relative(site, file);
      await desktop.open(pathToFileURL(file).href);
      await desktop.evaluate(axeSource);
      for (const theme of ["light", "dark"]) {
        await desktop.evaluate(`document.documentElement.setAttribute("data-theme", "${theme}")`);
        record(name, `1280 px, ${theme}`, await desktop.evaluate(runAxe));
      }
      for (const problem of await desktop.evaluate(measure)) failures.push(`[${name}, 1280 px] ${problem}`);
      for (const problem of await desktop.evaluate(mathFont)) failures.push(`[${name}] ${problem}`);
    }
  } finally {
    await desktop.close();
  }

  const phone = await launch({ width: 390, height: 844 });
  try {
    for (const file of files) {
      const name = path.relative(site, file);
      await phone.open(pathToFileURL(file).href);
      await phone.evaluate(axeSource);
      record(name, "390 px", await phone.evaluate(runAxe));
      for (const problem of await phone.evaluate(measure)) failures.push(`[${name}, 390 px] ${problem}`);
    }
  } finally {
    await phone.close();
  }

  console.log(`axe-core on ${files.length} pages, light and dark at 1280 px, light at 390 px: ` +
    Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(", "));
  for (const f of findings) console.log(f);
  console.log(`reading checks at 1280 and 390 px: ${failures.length} problems`);
  for (const f of failures) console.log(`FAIL ${f}`);
  return counts.critical + counts.serious === 0 && failures.length === 0;
}

main()
  .then((ok) => (process.exitCode = ok ? 0 : 1))
  .catch((e) => {
    console.error(e);
    process.exitCode = 2;
  });
