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

  // The index is pagefind's (`pagefind/`, written by the build), loaded at the first
  // query: its script segments the query (Japanese with the browser's Intl.Segmenter)
  // and fetches only the index chunks the words need.
  var MAX_RESULTS = 12;

  function initSearch() {
    var input = doc.getElementById("search-input");
    var box = doc.getElementById("search-results");
    if (!input || !box) return;
    var root = html.getAttribute("data-root") || "";
    var noResults = input.getAttribute("data-no-results") || "";
    var unavailable = input.getAttribute("data-unavailable") || noResults;
    var engine = null;     // a promise of pagefind's module, or of null where it cannot load
    var active = -1;
    var timer = 0;
    var latest = 0;        // the query whose results may still be shown

    // The index is in shards (`render/search.rs`): the primary in `pagefind/`, the
    // others in the folders that `pagefind/shards.json` lists, merged into it here.
    function load() {
      if (!engine) {
        // Relative URLs resolved against the page, so that the site works from any
        // folder of any host.
        var base = new URL(root + "pagefind/", window.location.href).href;
        // Result URLs as indexed, from the site root ("/chapter/page.html"), whatever
        // folder the site is served from and whichever shard found them (`href`).
        var options = { excerptLength: 24, baseUrl: "/" };
        var shards = fetch(base + "shards.json").then(function (r) {
          return r.ok ? r.json() : [];
        }).catch(function () { return []; });
        engine = import(base + "pagefind.js").then(function (pagefind) {
          return pagefind.options(options).then(function () { return shards; })
            .then(function (folders) {
              // A shard that cannot be merged costs its own results, not the search.
              return Promise.all(folders.map(function (folder) {
                return pagefind.mergeIndex(base + folder, options).catch(function () {});
              }));
            }).then(function () { return pagefind; });
        }).catch(function () { return null; });
      }
      return engine;
    }

    // Pagefind's excerpt is HTML with <mark> around the matches; only its text and the
    // marks are kept (parsed inert in a <template>, rebuilt as nodes).
    function appendExcerpt(parent, excerpt) {
      var t = doc.createElement("template");
      t.innerHTML = excerpt;
      t.content.childNodes.forEach(function (node) {
        if (node.nodeType === 1 && node.tagName === "MARK") {
          var mark = doc.createElement("mark");
          mark.textContent = node.textContent;
          parent.appendChild(mark);
        } else {
          parent.appendChild(doc.createTextNode(node.textContent));
        }
      });
    }

    // The page's best-matching part: the subsection whose words score highest.
    function best(data) {
      var subs = data.sub_results || [];
      var top = null, topScore = -1;
      subs.forEach(function (sub) {
        var score = 0;
        (sub.weighted_locations || []).forEach(function (l) { score += l.balanced_score || l.weight || 1; });
        if (score > topScore) { top = sub; topScore = score; }
      });
      return top || { url: data.url, title: "", excerpt: data.excerpt };
    }

    // A result URL starts at the site root ("/chapter/page.html#anchor").
    function href(url) { return root + url.replace(/^\//, ""); }

    function message(text) {
      var empty = doc.createElement("div");
      empty.className = "search-empty";
      empty.textContent = text;
      box.appendChild(empty);
    }

    function show(query, pages) {
      while (box.firstChild) box.removeChild(box.firstChild);
      box.setAttribute("data-query", query);
      if (pages === null) message(unavailable);
      else if (!pages.length) message(noResults);
      (pages || []).forEach(function (data, n) {
        var sub = best(data);
        var a = doc.createElement("a");
        a.className = "search-result";
        a.id = "search-result-" + n;
        a.setAttribute("role", "option");
        a.setAttribute("aria-selected", "false");
        a.href = href(sub.url || data.url);
        var title = doc.createElement("span");
        title.className = "search-result-title";
        title.textContent = (data.meta && data.meta.title) || data.url;
        a.appendChild(title);
        var pageTitle = (data.meta && data.meta.title) || "";
        if (sub.title && sub.title !== pageTitle) {
          var part = doc.createElement("span");
          part.className = "search-result-part";
          part.textContent = sub.title;
          a.appendChild(part);
        }
        if (sub.excerpt) {
          var snip = doc.createElement("span");
          snip.className = "search-result-snippet";
          appendExcerpt(snip, sub.excerpt);
          a.appendChild(snip);
        }
        box.appendChild(a);
      });
      box.hidden = false;
      input.setAttribute("aria-expanded", "true");
      if (pages && pages.length) setActive(0);
      else { active = -1; input.removeAttribute("aria-activedescendant"); }
    }

    function search(query, then) {
      var id = ++latest;
      load().then(function (pagefind) {
        if (!pagefind) return null;
        return pagefind.search(query).then(function (found) {
          if (!found) return [];
          return Promise.all(found.results.slice(0, MAX_RESULTS).map(function (r) { return r.data(); }));
        });
      }).then(function (pages) {
        if (id === latest) then(pages);
      }, function () {
        if (id === latest) then(null);
      });
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

    function render(after) {
      var query = input.value.trim();
      if (!query) { latest++; while (box.firstChild) box.removeChild(box.firstChild); close(); return; }
      search(query, function (pages) {
        show(query, pages);
        if (after) after();
      });
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
        e.preventDefault();
        clearTimeout(timer);
        var go = function () {
          var items = box.querySelectorAll(".search-result");
          if (items.length) window.location.href = items[active >= 0 ? active : 0].href;
        };
        // Results of what is typed now, else the search runs first.
        if (!box.hidden && box.getAttribute("data-query") === input.value.trim()) go();
        else render(go);
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
    // "/" or "s" focuses the search box (when not typing elsewhere).
    doc.addEventListener("keydown", function (e) {
      if ((e.key !== "/" && e.key !== "s") || e.ctrlKey || e.metaKey || e.altKey) return;
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

  /* ---------- Wide equations and tables ---------- */

  // What scrolls sideways (a long equation or table on a phone) must be reachable by
  // keyboard: it gets a tab stop while it overflows, and only then, so that equations
  // that fit add no stops.
  function initScrollers() {
    var main = doc.querySelector("main") || doc.body;
    var marked = "data-scroll-stop";
    function update() {
      var all = main.querySelectorAll(".equation > math, .equation > .katex-display, div.table, [" + marked + "]");
      for (var i = 0; i < all.length; i++) {
        var el = all[i];
        var own = el.hasAttribute(marked);
        if (el.hasAttribute("tabindex") && !own) continue;
        var style = window.getComputedStyle(el);
        var scrolls = /auto|scroll/.test(style.overflowX) && el.scrollWidth > el.clientWidth + 1;
        if (scrolls && !own) {
          el.setAttribute("tabindex", "0");
          el.setAttribute(marked, "");
        } else if (!scrolls && own) {
          el.removeAttribute("tabindex");
          el.removeAttribute(marked);
        }
      }
    }
    var timer = 0;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(update, 150);
    });
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
    initScrollers();
  });
})();
