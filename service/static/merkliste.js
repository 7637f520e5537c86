// The notebook ("Merkliste"): passages and municipalities kept in this browser's
// localStorage (key "praxisfinder.merkliste"); nothing is sent to the server.
// "Merken" buttons (data-merken, rendered hidden) appear only with this script; the page
// /merkliste lists what was kept and exports it as Markdown, plain text and CSV
// (generated here, downloaded through a Blob link).
(function () {
  "use strict";
  var KEY = "praxisfinder.merkliste";
  function load() {
    try {
      var items = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (e) { return []; }
  }
  function save(items) {
    try { window.localStorage.setItem(KEY, JSON.stringify(items)); return true; } catch (e) { return false; }
  }
  function keyOf(item) { return item.kind + ":" + item.id; }
  function has(items, kind, id) {
    for (var i = 0; i < items.length; i++) if (items[i].kind === kind && items[i].id === id) return true;
    return false;
  }
  function fromButton(b) {
    var d = b.dataset;
    return { kind: d.kind, id: d.id, title: d.title, href: d.href, citation: d.citation || "", text: d.text || "",
             doc: d.doc || "", page: d.page || "", section: d.section || "", extra: d.extra || "",
             added: new Date().toISOString() };
  }
  function showState(b, kept) {
    b.setAttribute("aria-pressed", kept ? "true" : "false");
    var label = b.querySelector(".merken-label");
    if (label) label.textContent = kept ? "Gemerkt ✓" : "Merken";
  }
  function refreshButtons() {
    var items = load();
    var buttons = document.querySelectorAll("[data-merken]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
      showState(buttons[i], has(items, buttons[i].dataset.kind, buttons[i].dataset.id));
    }
    var nav = document.querySelector("[data-merk-count]");
    if (nav) nav.textContent = items.length ? " (" + items.length + ")" : "";
  }
  document.addEventListener("click", function (event) {
    var b = event.target.closest && event.target.closest("[data-merken]");
    if (!b) return;
    var items = load();
    var item = fromButton(b);
    if (has(items, item.kind, item.id)) {
      items = items.filter(function (x) { return keyOf(x) !== keyOf(item); });
    } else {
      items.push(item);
    }
    save(items);
    refreshButtons();
    renderList();
  });

  // -- exports -----------------------------------------------------------------------
  function citationOf(it) {
    if (it.citation) return it.citation;
    var parts = [it.doc || it.title];
    if (it.page) parts.push("S. " + it.page);
    if (it.section) parts.push("Abschnitt „" + it.section.split(" › ").pop() + "“");
    return parts.join(", ");
  }
  function absolute(href) { return window.location.origin + href; }
  function markdown(items) {
    var out = ["# Merkliste", ""];
    var ps = items.filter(function (x) { return x.kind === "passage"; });
    var ks = items.filter(function (x) { return x.kind === "kommune"; });
    if (ps.length) {
      out.push("## Fundstellen", "");
      ps.forEach(function (it, i) {
        out.push((i + 1) + ". " + citationOf(it) + " – <" + absolute(it.href) + ">");
        if (it.text) out.push("   > " + it.text.replace(/\s+/g, " "));
      });
      out.push("");
    }
    if (ks.length) {
      out.push("## Kommunen", "");
      ks.forEach(function (it) { out.push("- " + it.title + (it.extra ? " (" + it.extra + ")" : "") + " – <" + absolute(it.href) + ">"); });
      out.push("");
    }
    return out.join("\n");
  }
  function plain(items) {
    var out = ["Merkliste", ""];
    items.forEach(function (it, i) {
      if (it.kind === "passage") out.push((i + 1) + ". " + citationOf(it) + ". " + absolute(it.href));
      else out.push((i + 1) + ". Kommune: " + it.title + (it.extra ? " (" + it.extra + ")" : "") + ". " + absolute(it.href));
    });
    return out.join("\r\n") + "\r\n";
  }
  function csvCell(v) {
    v = String(v == null ? "" : v);
    return /[";\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
  }
  function csv(items) {
    var rows = [["Art", "Titel", "Dokument", "Seite", "Abschnitt", "Zitat", "Text", "Link"]];
    items.forEach(function (it) {
      rows.push([it.kind === "passage" ? "Fundstelle" : "Kommune", it.title, it.doc, it.page, it.section,
                 it.kind === "passage" ? citationOf(it) : "", it.text, absolute(it.href)]);
    });
    return "\ufeff" + rows.map(function (r) { return r.map(csvCell).join(";"); }).join("\r\n") + "\r\n";
  }
  var FORMATS = { md: ["text/markdown", "merkliste.md", markdown], txt: ["text/plain", "merkliste.txt", plain],
                  csv: ["text/csv", "merkliste.csv", csv] };
  function download(kind) {
    var f = FORMATS[kind];
    var blob = new Blob([f[2](load())], { type: f[0] + ";charset=utf-8" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = f[1];
    a.click();  // not added to the page: no nameless link for assistive technology
    window.setTimeout(function () { URL.revokeObjectURL(a.href); }, 1000);
  }

  // -- the page /merkliste ------------------------------------------------------------
  var root = document.querySelector("[data-merkliste]");
  function renderList() {
    if (!root) return;
    root.hidden = false;
    var items = load();
    ["passage", "kommune"].forEach(function (kind) {
      var list = root.querySelector('[data-list="' + kind + '"]');
      var mine = items.filter(function (x) { return x.kind === kind; });
      root.querySelector('[data-count="' + kind + '"]').textContent = mine.length;
      list.textContent = "";
      mine.forEach(function (it) {
        var li = document.createElement("li");
        li.className = "merk-item";
        var a = document.createElement("a");
        a.href = it.href;
        a.textContent = it.title;
        li.appendChild(a);
        if (kind === "passage") {
          var c = document.createElement("p");
          c.className = "merk-cite";
          c.textContent = citationOf(it);
          li.appendChild(c);
          if (it.text) {
            var q = document.createElement("q");
            q.className = "snippet";
            q.textContent = it.text;
            li.appendChild(q);
          }
        } else if (it.extra) {
          li.appendChild(document.createTextNode(" – " + it.extra));
        }
        var rm = document.createElement("button");
        rm.type = "button";
        rm.className = "merken secondary";
        rm.dataset.merken = "";
        ["kind", "id", "title", "href"].forEach(function (k) { rm.dataset[k] = it[k]; });
        rm.setAttribute("aria-label", "Entfernen: " + it.title);
        rm.textContent = "Entfernen";
        li.appendChild(rm);
        list.appendChild(li);
      });
    });
    var ks = items.filter(function (x) { return x.kind === "kommune"; });
    var cmp = root.querySelector("[data-compare]");
    cmp.hidden = ks.length < 2 || ks.length > 5;
    cmp.querySelector("a").href = "/vergleich/nebeneinander?kommunen=" +
      ks.map(function (k) { return encodeURIComponent(k.id); }).join(",");
    root.querySelector("#merkliste-leer").hidden = items.length > 0;
    root.querySelector("#ml-vorschau").value = markdown(items);
  }
  if (root) {
    root.addEventListener("click", function (event) {
      var b = event.target.closest && event.target.closest("[data-export],[data-clear]");
      if (!b) return;
      var status = root.querySelector("[data-status]");
      if (b.hasAttribute("data-clear")) {
        save([]);
        renderList();
        refreshButtons();
        status.textContent = "Die Merkliste ist geleert.";
      } else {
        download(b.dataset.export);
        status.textContent = "Die Datei wird heruntergeladen.";
      }
    });
  }
  // Other tabs: keep buttons and the list in step.
  window.addEventListener("storage", function (event) {
    if (event.key === KEY) { refreshButtons(); renderList(); }
  });
  refreshButtons();
  renderList();
})();
