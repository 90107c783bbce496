// Progressive enhancement for the pages: copy citation, the drafting basket (kept in localStorage),
// export through POST /api/export. Text is only ever inserted with textContent, never as HTML.
(function () {
  "use strict";
  var KEY = "npt-qa-basket";
  var MAX = 200;
  var root = document.documentElement;
  root.classList.add("js");
  var lang = root.getAttribute("data-lang") === "zh" ? "zh" : "en";

  function msg(name, values) {
    var tpl = document.getElementById("i18n");
    var text = (tpl && tpl.getAttribute("data-" + name)) || name;
    Object.keys(values || {}).forEach(function (k) { text = text.replace("{" + k + "}", String(values[k])); });
    return text;
  }

  var toastTimer = null;
  function toast(text) {
    var el = document.getElementById("toast");
    if (!el) return;
    el.textContent = text;
    el.classList.add("show");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.classList.remove("show"); }, 2200);
  }

  // --- basket storage ---
  function load() {
    try {
      var items = JSON.parse(localStorage.getItem(KEY) || "[]");
      if (!Array.isArray(items)) return [];
      return items.filter(function (x) { return x && typeof x.id === "string"; }).slice(0, MAX);
    } catch (e) { return []; }
  }
  function save(items) {
    try { localStorage.setItem(KEY, JSON.stringify(items.slice(0, MAX))); } catch (e) { /* storage full or off */ }
    updateCount(items);
  }
  function has(id) { return load().some(function (x) { return x.id === id; }); }
  function updateCount(items) {
    var el = document.getElementById("basket-count");
    if (el) el.textContent = items.length ? String(items.length) : "";
  }

  function passageFrom(el) {
    var text = el.querySelector(".text");
    return {
      id: el.getAttribute("data-id"),
      doc: el.getAttribute("data-doc") || "",
      label: el.getAttribute("data-where") || el.getAttribute("data-label") || "",
      speaker: el.getAttribute("data-speaker") || "",
      title: el.getAttribute("data-title") || "",
      title_en: el.getAttribute("data-title-en") || "",
      citation_en: el.getAttribute("data-citation-en") || "",
      citation_zh: el.getAttribute("data-citation-zh") || "",
      url: el.getAttribute("data-url") || "",
      lang: el.getAttribute("data-lang") || "",
      text: text ? text.textContent : ""
    };
  }

  function markAdded(button) {
    button.setAttribute("aria-pressed", "true");
    button.textContent = msg("in-basket");
  }

  // --- copy ---
  function copyText(text, done) {
    function fallback() {
      var ta = document.createElement("textarea");
      ta.value = text;
      ta.setAttribute("readonly", "");
      ta.style.position = "fixed";
      ta.style.opacity = "0";
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(ta);
      done(ok);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
    } else {
      fallback();
    }
  }

  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest("button[data-action]") : null;
    if (!button) return;
    var host = button.closest("[data-id]");
    if (!host) return;
    var action = button.getAttribute("data-action");
    if (action === "copy") {
      var cite = host.getAttribute(lang === "zh" ? "data-citation-zh" : "data-citation-en") || "";
      copyText(cite, function (ok) {
        toast(ok ? msg("copied") : msg("copy-failed"));
        if (!ok) {
          var shown = host.querySelector(".cite-text");
          if (shown) window.getSelection().selectAllChildren(shown);
        }
      });
    } else if (action === "add") {
      var items = load();
      var p = passageFrom(host);
      if (!items.some(function (x) { return x.id === p.id; }) && items.length < MAX) {
        items.push(p);
        save(items);
      }
      markAdded(button);
      toast(msg("added"));
    }
  });

  // --- the basket page ---
  function renderBasket() {
    var list = document.getElementById("basket-list");
    if (!list) return;
    var items = load();
    list.textContent = "";
    document.getElementById("basket-empty").hidden = items.length > 0;
    ["export-md", "export-docx", "basket-clear"].forEach(function (id) {
      document.getElementById(id).disabled = items.length === 0;
    });
    items.forEach(function (p, i) {
      var li = document.createElement("li");
      li.setAttribute("data-basket-id", p.id);
      var head = document.createElement("div");
      head.className = "b-head";
      var who = document.createElement("a");
      who.href = typeof p.url === "string" && p.url.charAt(0) === "/" ? p.url : "#";
      who.textContent = (p.speaker || "") + " — " + (p.title || "") + " · " + (p.label || "");
      head.appendChild(who);
      var tools = document.createElement("span");
      tools.className = "b-tools";
      [["up", msg("move-up"), "↑"], ["down", msg("move-down"), "↓"], ["remove", msg("remove"), "✕"]].forEach(function (t) {
        var b = document.createElement("button");
        b.type = "button";
        b.setAttribute("data-basket", t[0]);
        b.setAttribute("aria-label", t[1]);
        b.title = t[1];
        b.textContent = t[2] + " " + t[1];
        if ((t[0] === "up" && i === 0) || (t[0] === "down" && i === items.length - 1)) b.disabled = true;
        tools.appendChild(b);
      });
      head.appendChild(tools);
      var text = document.createElement("p");
      text.className = "b-text";
      // the passage's own language (items saved before it was recorded were all Chinese)
      text.lang = typeof p.lang === "string" && /^[a-zA-Z-]{2,12}$/.test(p.lang) ? p.lang : "zh-Hans";
      text.textContent = p.text || "";
      var cite = document.createElement("p");
      cite.className = "b-cite";
      cite.textContent = (lang === "zh" ? p.citation_zh : p.citation_en) || "";
      li.appendChild(head);
      li.appendChild(text);
      li.appendChild(cite);
      list.appendChild(li);
    });
  }

  function download(blob, name) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  function exportBasket(format) {
    var ids = load().map(function (x) { return x.id; });
    if (!ids.length) return;
    var chosen = document.getElementById("export-lang").value === "zh" ? "zh" : "en";
    fetch("/api/export", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ ids: ids, format: format, lang: chosen })
    }).then(function (r) {
      if (!r.ok) {
        return r.json().then(function (e) { throw new Error(e.error || String(r.status)); },
                             function () { throw new Error(String(r.status)); });
      }
      return r.blob();
    }).then(function (blob) {
      if (format === "markdown") {
        blob.text().then(function (text) {
          document.getElementById("export-preview").textContent = text;
          document.getElementById("export-out").hidden = false;
        });
        download(blob, "passages.md");  // as the API names it (draft.EXPORT_NAME)
      } else {
        download(blob, "passages.docx");
      }
    }).catch(function (e) { toast(msg("export-failed", { message: e.message })); });
  }

  function initBasket() {
    var list = document.getElementById("basket-list");
    if (!list) return;
    renderBasket();
    list.addEventListener("click", function (ev) {
      var b = ev.target.closest("button[data-basket]");
      if (!b) return;
      var id = b.closest("li").getAttribute("data-basket-id");
      var items = load();
      var i = items.findIndex(function (x) { return x.id === id; });
      if (i < 0) return;
      var op = b.getAttribute("data-basket");
      if (op === "remove") items.splice(i, 1);
      if (op === "up" && i > 0) items.splice(i - 1, 0, items.splice(i, 1)[0]);
      if (op === "down" && i < items.length - 1) items.splice(i + 1, 0, items.splice(i, 1)[0]);
      save(items);
      renderBasket();
      var again = list.querySelector('li[data-basket-id="' + CSS.escape(id) + '"] button[data-basket="' + op + '"]');
      if (again && !again.disabled) again.focus();
    });
    document.getElementById("export-md").addEventListener("click", function () { exportBasket("markdown"); });
    document.getElementById("export-docx").addEventListener("click", function () { exportBasket("docx"); });
    document.getElementById("basket-clear").addEventListener("click", function () { save([]); renderBasket(); });
  }

  // Several parties in one box: a suggestion completes the name being typed after the comma and keeps the
  // names before it (a plain datalist would replace the whole box with the one name picked).
  function initPartyChoices() {
    document.querySelectorAll("input[list]").forEach(function (input) {
      var list = document.getElementById(input.getAttribute("list"));
      if (!list) return;
      var choices = Array.prototype.map.call(list.options, function (o) { return [o.value, o.textContent]; });
      input.addEventListener("input", function () {
        var cut = input.value.lastIndexOf(",");
        var head = cut < 0 ? "" : input.value.slice(0, cut + 1).trim() + " ";
        if (list.getAttribute("data-head") === head) return;
        list.setAttribute("data-head", head);
        list.replaceChildren.apply(list, choices.map(function (c) {
          var o = document.createElement("option");
          o.value = head + c[0];
          o.textContent = c[1];
          return o;
        }));
      });
    });
  }

  function init() {
    updateCount(load());
    initPartyChoices();
    document.querySelectorAll("button[data-action='add']").forEach(function (b) {
      var host = b.closest("[data-id]");
      if (host && has(host.getAttribute("data-id"))) markAdded(b);
    });
    initBasket();
    // "/" focuses the question box, as in most search tools.
    document.addEventListener("keydown", function (ev) {
      var q = document.getElementById("q");
      var typing = /INPUT|TEXTAREA|SELECT/.test((document.activeElement || {}).tagName || "");
      if (ev.key === "/" && q && !typing) { ev.preventDefault(); q.focus(); q.select(); }
    });
    window.addEventListener("storage", function (ev) { if (ev.key === KEY) { updateCount(load()); renderBasket(); } });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
