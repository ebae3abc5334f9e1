/* d2lbook theme script: the sidebar's contents, theme toggle, sidebar, search, copy
   buttons, tabs and the "on this page" highlight. Plain ES2017, no dependencies. */
(function () {
  "use strict";

  var doc = document;
  var html = doc.documentElement;
  var body = doc.body;

  /* ---------- Storage (file:// may forbid it) ---------- */

  function load(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function save(key, value) {
    try {
      if (value === null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, value);
    } catch (e) { /* ignore */ }
  }

  function onReady(fn) {
    if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  /* ---------- Theme ---------- */

  function initTheme() {
    var button = doc.getElementById("theme-toggle");
    if (button) {
      button.addEventListener("click", function () {
        var next = html.getAttribute("data-theme") === "dark" ? "light" : "dark";
        html.setAttribute("data-theme", next);
        save("d2lbook-theme", next);
      });
    }
    // Follow the system setting until the reader picks a theme.
    if (window.matchMedia) {
      var mq = window.matchMedia("(prefers-color-scheme: dark)");
      var follow = function (e) {
        var stored = load("d2lbook-theme");
        if (stored !== "light" && stored !== "dark") {
          html.setAttribute("data-theme", e.matches ? "dark" : "light");
        }
      };
      if (mq.addEventListener) mq.addEventListener("change", follow);
      else if (mq.addListener) mq.addListener(follow);
    }
  }

  /* ---------- Contents: the book's tree, shared by all pages in nav.js ---------- */

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // Each entry is [depth, number, title HTML, page path from the site root]; the page
  // whose path is this body's data-page is the current one. An entry without a page has
  // a fifth item: "part" (a part's title), "draft" (a chapter not written yet) or
  // "separator". One innerHTML assignment keeps a thousand entries fast.
  function initNav() {
    var list = doc.getElementById("nav-list");
    var items = window.d2lNav;
    if (!list || !Array.isArray(items)) return;
    var root = html.getAttribute("data-root") || "";
    var page = body.getAttribute("data-page");
    var out = [];
    items.forEach(function (item) {
      if (item[4] === "part") {
        out.push('<li class="nav-part">' + item[2] + '</li>');
        return;
      }
      if (item[4] === "separator") {
        // A rule between items, for the eye only: a list may hold list items only (a
        // role="separator" item is not one), and an empty item would be read out.
        out.push('<li class="nav-separator" aria-hidden="true"></li>');
        return;
      }
      if (item[4] === "draft") {
        out.push('<li class="nav-item draft depth-' + Number(item[0]) + '"><span>' +
          (item[1] ? '<span class="nav-number">' + escapeHtml(item[1]) + '</span>' : '') +
          '<span class="nav-title">' + item[2] + '</span></span></li>');
        return;
      }
      var current = item[3] === page;
      out.push('<li class="nav-item depth-' + Number(item[0]) + (current ? ' current' : '') +
        '"><a href="' + escapeHtml(root + item[3]) + '"' + (current ? ' aria-current="page"' : '') + '>' +
        (item[1] ? '<span class="nav-number">' + escapeHtml(item[1]) + '</span>' : '') +
        '<span class="nav-title">' + item[2] + '</span></a></li>');
    });
    list.innerHTML = out.join("");
  }

  /* ---------- Sidebar ---------- */

  function initSidebar() {
    var button = doc.getElementById("menu-button");
    var sidebar = doc.getElementById("sidebar");
    var backdrop = doc.getElementById("sidebar-backdrop");
    if (!button || !sidebar) return;
    var narrow = window.matchMedia ? window.matchMedia("(max-width: 56rem)") : { matches: false };

    function isOpen() {
      return narrow.matches ? body.classList.contains("sidebar-open")
                            : html.getAttribute("data-sidebar") !== "hidden";
    }
    function sync() {
      var open = isOpen();
      button.setAttribute("aria-expanded", open ? "true" : "false");
      if (backdrop) backdrop.hidden = !(narrow.matches && open);
    }
    function setOpen(open) {
      if (narrow.matches) {
        body.classList.toggle("sidebar-open", open);
        if (open) {
          var first = sidebar.querySelector(".current a") || sidebar.querySelector("a");
          if (first) first.focus({ preventScroll: true });
        }
      } else if (open) {
        html.removeAttribute("data-sidebar");
        save("d2lbook-sidebar", null);
      } else {
        html.setAttribute("data-sidebar", "hidden");
        save("d2lbook-sidebar", "hidden");
      }
      sync();
    }

    button.addEventListener("click", function () { setOpen(!isOpen()); });
    if (backdrop) backdrop.addEventListener("click", function () { setOpen(false); });
    doc.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && narrow.matches && body.classList.contains("sidebar-open")) {
        setOpen(false);
        button.focus();
      }
    });
    if (narrow.addEventListener) narrow.addEventListener("change", sync);
    else if (narrow.addListener) narrow.addListener(sync);
    sync();

    // Scroll the current entry into the middle of the sidebar.
    var current = sidebar.querySelector(".nav-item.current");
    if (current) {
      var top = current.offsetTop - sidebar.clientHeight / 2 + current.offsetHeight / 2;
      if (top > 0) sidebar.scrollTop = top;
    }
  }

  /* ---------- Search ---------- */

  var MAX_RESULTS = 20;

  function initSearch() {
    var input = doc.getElementById("search-input");
    var box = doc.getElementById("search-results");
    if (!input || !box) return;
    var root = html.getAttribute("data-root") || "";
    var noResults = input.getAttribute("data-no-results") || "";
    var prepared = null;   // [{ url, title, text, titleLower, textLower }]
    var active = -1;
    var timer = 0;

    function prepare() {
      if (prepared) return prepared;
      var index = window.d2lSearchIndex;
      if (!Array.isArray(index)) return [];
      prepared = index.map(function (item) {
        var title = String(item.title || "");
        var text = String(item.text || "");
        var tl = title.toLowerCase();
        var xl = text.toLowerCase();
        // Lower-casing may change lengths (rare); then show the lowered text
        // so that match offsets stay correct.
        return {
          url: String(item.url || ""),
          title: tl.length === title.length ? title : tl,
          text: xl.length === text.length ? text : xl,
          titleLower: tl,
          textLower: xl
        };
      });
      return prepared;
    }

    // Append `text` to `parent`, wrapping [start, end) in <mark>.
    function appendHighlighted(parent, text, start, end) {
      if (start < 0) { parent.appendChild(doc.createTextNode(text)); return; }
      parent.appendChild(doc.createTextNode(text.slice(0, start)));
      var mark = doc.createElement("mark");
      mark.textContent = text.slice(start, end);
      parent.appendChild(mark);
      parent.appendChild(doc.createTextNode(text.slice(end)));
    }

    function snippet(entry, hit, qlen) {
      var text = entry.text;
      var before = 30, after = 90;
      if (hit < 0) {
        var head = text.slice(0, before + after).replace(/\s+/g, " ");
        return { text: head + (text.length > head.length ? "…" : ""), start: -1, end: -1 };
      }
      var from = Math.max(0, hit - before);
      var to = Math.min(text.length, hit + qlen + after);
      var prefix = from > 0 ? "…" : "";
      var middle = text.slice(from, to).replace(/\s+/g, " ");
      // Recompute the offset after whitespace collapsing.
      var pre = text.slice(from, hit).replace(/\s+/g, " ");
      var match = text.slice(hit, hit + qlen).replace(/\s+/g, " ");
      return {
        text: prefix + middle + (to < text.length ? "…" : ""),
        start: prefix.length + pre.length,
        end: prefix.length + pre.length + match.length
      };
    }

    function search(query) {
      var q = query.toLowerCase();
      var titleHits = [], textHits = [];
      var entries = prepare();
      for (var i = 0; i < entries.length; i++) {
        var e = entries[i];
        var t = e.titleLower.indexOf(q);
        var x = e.textLower.indexOf(q);
        if (t >= 0) titleHits.push({ entry: e, titleHit: t, textHit: x });
        else if (x >= 0) textHits.push({ entry: e, titleHit: -1, textHit: x });
        if (titleHits.length >= MAX_RESULTS) break;
      }
      return titleHits.concat(textHits).slice(0, MAX_RESULTS);
    }

    function setActive(i) {
      var items = box.querySelectorAll(".search-result");
      if (!items.length) { active = -1; input.removeAttribute("aria-activedescendant"); return; }
      active = (i + items.length) % items.length;
      for (var k = 0; k < items.length; k++) {
        var on = k === active;
        items[k].classList.toggle("active", on);
        items[k].setAttribute("aria-selected", on ? "true" : "false");
      }
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    }

    function close() {
      box.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function render() {
      var query = input.value.trim();
      while (box.firstChild) box.removeChild(box.firstChild);
      if (!query) { close(); return; }
      var results = search(query);
      if (!results.length) {
        var empty = doc.createElement("div");
        empty.className = "search-empty";
        empty.textContent = noResults;
        box.appendChild(empty);
      }
      results.forEach(function (r, n) {
        var a = doc.createElement("a");
        a.className = "search-result";
        a.id = "search-result-" + n;
        a.setAttribute("role", "option");
        a.setAttribute("aria-selected", "false");
        a.href = root + r.entry.url;
        var title = doc.createElement("span");
        title.className = "search-result-title";
        appendHighlighted(title, r.entry.title, r.titleHit,
          r.titleHit < 0 ? -1 : r.titleHit + query.length);
        a.appendChild(title);
        var s = snippet(r.entry, r.textHit, query.length);
        if (s.text) {
          var snip = doc.createElement("span");
          snip.className = "search-result-snippet";
          appendHighlighted(snip, s.text, s.start, s.end);
          a.appendChild(snip);
        }
        box.appendChild(a);
      });
      box.hidden = false;
      input.setAttribute("aria-expanded", "true");
      if (results.length) setActive(0);
      else { active = -1; input.removeAttribute("aria-activedescendant"); }
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, 60);
    });
    input.addEventListener("focus", function () {
      if (input.value.trim()) render();
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") {
        e.preventDefault();
        if (!box.hidden) close();
        else { input.value = ""; input.blur(); }
      } else if (e.key === "Enter") {
        clearTimeout(timer);
        render();
        var items = box.querySelectorAll(".search-result");
        if (items.length) {
          e.preventDefault();
          window.location.href = items[active >= 0 ? active : 0].href;
        }
      } else if (e.key === "ArrowDown" && !box.hidden) {
        e.preventDefault();
        setActive(active + 1);
      } else if (e.key === "ArrowUp" && !box.hidden) {
        e.preventDefault();
        setActive(active - 1);
      }
    });
    doc.addEventListener("click", function (e) {
      if (!box.hidden && !box.contains(e.target) && e.target !== input) close();
    });
    // "/" focuses the search box (when not typing elsewhere).
    doc.addEventListener("keydown", function (e) {
      if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
      var el = doc.activeElement;
      var tag = el && el.tagName;
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (el && el.isContentEditable)) return;
      e.preventDefault();
      input.focus();
      input.select();
    });
  }

  /* ---------- Copy buttons ---------- */

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext !== false) {
      return navigator.clipboard.writeText(text).catch(function () { return legacyCopy(text); });
    }
    return legacyCopy(text);
  }

  function legacyCopy(text) {
    return new Promise(function (resolve, reject) {
      var area = doc.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.top = "0";
      area.style.left = "-9999px";
      body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = doc.execCommand("copy"); } catch (e) { ok = false; }
      body.removeChild(area);
      if (ok) resolve(); else reject(new Error("copy failed"));
    });
  }

  function selectNode(node) {
    var sel = window.getSelection && window.getSelection();
    if (!sel) return;
    var range = doc.createRange();
    range.selectNodeContents(node);
    sel.removeAllRanges();
    sel.addRange(range);
  }

  function initCopy() {
    var copied = body.getAttribute("data-copied") || "✓";
    doc.querySelectorAll(".code-block .copy-button").forEach(function (button) {
      var label = button.textContent;
      var timer = 0;
      button.addEventListener("click", function () {
        var code = button.parentNode.querySelector("pre code") || button.parentNode.querySelector("pre");
        if (!code) return;
        var text = code.textContent.replace(/\n$/, "");
        copyText(text).then(function () {
          button.textContent = copied;
          button.classList.add("copied");
          clearTimeout(timer);
          timer = setTimeout(function () {
            button.textContent = label;
            button.classList.remove("copied");
          }, 1600);
        }, function () {
          selectNode(code); // let the reader copy by hand
        });
      });
    });
  }

  /* ---------- Hidden lines of Rust listings ---------- */

  function initHiddenLines() {
    doc.querySelectorAll(".code-block .hidden-toggle").forEach(function (button) {
      button.addEventListener("click", function () {
        var shown = button.parentNode.classList.toggle("show-hidden");
        button.setAttribute("aria-pressed", shown ? "true" : "false");
      });
    });
  }

  /* ---------- Tabs ---------- */

  var TAB_KEY = "d2lbook-tab";

  function initTabs() {
    var groups = Array.prototype.slice.call(doc.querySelectorAll(".tabs"));
    if (!groups.length) return;
    var uid = 0;

    function select(group, name) {
      var buttons = group.querySelectorAll(":scope > .tab-bar > .tab-button");
      var panels = group.querySelectorAll(":scope > .tab-panel");
      var found = false;
      buttons.forEach(function (b) { if (b.getAttribute("data-tab") === name) found = true; });
      if (!found) return false;
      buttons.forEach(function (b) {
        var on = b.getAttribute("data-tab") === name;
        b.setAttribute("aria-selected", on ? "true" : "false");
        b.tabIndex = on ? 0 : -1;
      });
      panels.forEach(function (p) { p.hidden = p.getAttribute("data-tab") !== name; });
      return true;
    }

    function selectEverywhere(name, anchor) {
      // Keep the clicked tab bar still while groups above change height.
      var before = anchor ? anchor.getBoundingClientRect().top : 0;
      groups.forEach(function (g) { select(g, name); });
      if (anchor) {
        var delta = anchor.getBoundingClientRect().top - before;
        if (delta) window.scrollBy(0, delta);
      }
    }

    groups.forEach(function (group) {
      var bar = group.querySelector(":scope > .tab-bar");
      if (!bar) return;
      var buttons = Array.prototype.slice.call(bar.querySelectorAll(".tab-button"));
      var panels = Array.prototype.slice.call(group.querySelectorAll(":scope > .tab-panel"));
      uid += 1;
      buttons.forEach(function (b, i) {
        var name = b.getAttribute("data-tab");
        var panel = panels.filter(function (p) { return p.getAttribute("data-tab") === name; })[0];
        b.setAttribute("role", "tab");
        b.id = b.id || "tab-" + uid + "-" + i;
        if (panel) {
          panel.id = panel.id || "tabpanel-" + uid + "-" + i;
          panel.setAttribute("role", "tabpanel");
          panel.setAttribute("aria-labelledby", b.id);
          b.setAttribute("aria-controls", panel.id);
        }
        b.addEventListener("click", function () {
          selectEverywhere(name, bar);
          save(TAB_KEY, name);
        });
        b.addEventListener("keydown", function (e) {
          var j = -1;
          if (e.key === "ArrowRight") j = (i + 1) % buttons.length;
          else if (e.key === "ArrowLeft") j = (i - 1 + buttons.length) % buttons.length;
          else if (e.key === "Home") j = 0;
          else if (e.key === "End") j = buttons.length - 1;
          if (j < 0) return;
          e.preventDefault();
          buttons[j].focus();
          buttons[j].click();
        });
      });
      var first = buttons.length ? buttons[0].getAttribute("data-tab") : null;
      if (first !== null) select(group, first);
      group.setAttribute("data-ready", "");
    });

    var stored = load(TAB_KEY);
    if (stored) groups.forEach(function (g) { select(g, stored); });
  }

  /* ---------- On this page: highlight the current section ---------- */

  function initPageToc() {
    var links = Array.prototype.slice.call(doc.querySelectorAll(".page-toc a[href^='#']"));
    if (!links.length) return;
    var targets = [];
    links.forEach(function (a) {
      var id = decodeURIComponent(a.getAttribute("href").slice(1));
      var el = doc.getElementById(id);
      if (el) targets.push({ link: a, el: el });
    });
    if (!targets.length) return;
    var current = null;
    var pending = false;

    function update() {
      pending = false;
      var offset = (parseFloat(getComputedStyle(doc.querySelector(".topbar") || body).height) || 0) + 24;
      var pick = targets[0];
      for (var i = 0; i < targets.length; i++) {
        if (targets[i].el.getBoundingClientRect().top - offset <= 1) pick = targets[i];
        else break;
      }
      // At the very bottom, the last section is current.
      if (window.innerHeight + window.scrollY >= doc.documentElement.scrollHeight - 2) {
        pick = targets[targets.length - 1];
      }
      if (pick !== current) {
        if (current) current.link.classList.remove("active");
        pick.link.classList.add("active");
        current = pick;
      }
    }
    window.addEventListener("scroll", function () {
      if (!pending) { pending = true; window.requestAnimationFrame(update); }
    }, { passive: true });
    window.addEventListener("resize", update);
    update();
  }

  onReady(function () {
    initNav();
    initTheme();
    initSidebar();
    initSearch();
    initCopy();
    initHiddenLines();
    initTabs();
    initPageToc();
  });
})();
