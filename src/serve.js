// Added by `d2lbook serve` to the pages it serves (never to the built site): reloads this
// page when a rebuild changed it or an asset pages share (theme, nav.js, images), keeping
// the scroll position, and shows the diagnostics of a failed rebuild over the page. The
// search index changes with every edit of the text: alone, it reloads no other page.
(function () {
  var page = decodeURIComponent(location.pathname).replace(/^\/+/, "");
  if (page === "" || page.slice(-1) === "/") page += "index.html";
  var key = "d2lbook-scroll:" + page;
  var saved = sessionStorage.getItem(key);
  if (saved !== null) {
    sessionStorage.removeItem(key);
    addEventListener("load", function () { scrollTo(0, Number(saved)); });
  }
  var overlay = null;
  function hide() {
    if (overlay) { overlay.remove(); overlay = null; }
  }
  function show(report) {
    hide();
    overlay = document.createElement("div");
    overlay.id = "d2lbook-errors";
    overlay.title = "Click to hide";
    overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;" +
      "background:rgba(20,20,20,.97);color:#f3f3f3;padding:2em;cursor:pointer;";
    var title = document.createElement("h2");
    title.textContent = "The last rebuild failed; this is the previous version of the page";
    title.style.cssText = "color:#ff8a80;font:bold 1.1em sans-serif;margin:0 0 1em";
    var text = document.createElement("pre");
    // textContent, never innerHTML: the report quotes the book's sources.
    text.textContent = report;
    text.style.cssText = "font:13px/1.45 monospace;white-space:pre-wrap;margin:0";
    overlay.append(title, text);
    overlay.addEventListener("click", hide);
    document.body.append(overlay);
  }
  var events = new EventSource("/__d2lbook/events");
  // Back after the server was restarted: what it serves may have changed meanwhile.
  var lost = false;
  events.addEventListener("error", function () { lost = true; });
  events.addEventListener("open", function () {
    if (lost) {
      sessionStorage.setItem(key, String(scrollY));
      location.reload();
    }
  });
  events.addEventListener("rebuilt", function (e) {
    hide();
    var changed = JSON.parse(e.data).changed;
    var reload = changed.some(function (file) {
      // Another page, or the search index (loaded afresh at the next query), does not
      // change this one; a stylesheet or script does.
      return file === page || !/(\.html$|^pagefind\/)/.test(file);
    });
    if (reload) {
      sessionStorage.setItem(key, String(scrollY));
      location.reload();
    }
  });
  events.addEventListener("failed", function (e) {
    var report = JSON.parse(e.data).report;
    console.error(report);
    show(report);
  });
})();
