// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // "/" focuses the search box (unless the user is typing somewhere).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var tag = target && target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) return;
    var box = document.getElementById("q");
    if (!box) {
      window.location.href = "/";
      return;
    }
    event.preventDefault();
    box.focus();
    box.select();
  });
  // GET forms marked data-drop-empty leave empty fields out of the URL
  // ("/kommunen?q=Osna" instead of "…&bundesland=&typ=…"). Of the fields marked
  // data-either (Kommune, Beschreibung) one stays when all are empty, so the page can
  // say that one is missing.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-drop-empty")) return;
    var either = form.querySelectorAll("[data-either]");
    var keep = null;
    var anyEither = false;
    for (var i = 0; i < either.length; i++) if (either[i].value.trim()) anyEither = true;
    if (!anyEither && either.length) keep = either[0];
    var fields = form.querySelectorAll("input[name], select[name]");
    for (var j = 0; j < fields.length; j++) {
      var f = fields[j];
      if (f !== keep && f.type !== "checkbox" && !f.value.trim()) f.disabled = true;
    }
  });
  // Back/forward cache: re-enable what the submit handler disabled.
  window.addEventListener("pageshow", function () {
    var off = document.querySelectorAll("form[data-drop-empty] [disabled]");
    for (var i = 0; i < off.length; i++) off[i].disabled = false;
  });
  // Filters apply on change (the "Filter anwenden" button stays for pages without JS):
  // choices and check boxes at once; typed numbers (population) with Enter or the button,
  // so that "von" and "bis" can both be filled first.
  document.addEventListener("change", function (event) {
    var field = event.target;
    var form = field && field.form;
    if (!form || !form.hasAttribute("data-apply-on-change")) return;
    if (field.tagName !== "SELECT" && field.type !== "checkbox" && field.type !== "radio") return;
    if (!field.closest || !field.closest("details.filters")) return;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });
  // On a phone, active filters show as chips; the open filter panel would push the
  // first hit below the first screen, so it starts closed there.
  var narrow = window.matchMedia && window.matchMedia("(max-width: 40rem)").matches;
  if (narrow && document.querySelector(".active-filters")) {
    var panels = document.querySelectorAll("details[data-collapse-narrow][open]");
    for (var p = 0; p < panels.length; p++) panels[p].open = false;
  }
  // Over-long input: say so while typing instead of cutting it (the server refuses it too).
  var limited = document.querySelectorAll("[data-maxchars]");
  for (var m = 0; m < limited.length; m++) {
    limited[m].addEventListener("input", function (event) {
      var box = event.target;
      var max = parseInt(box.getAttribute("data-maxchars"), 10);
      var note = document.getElementById(box.id + "-length");
      if (!note || !max) return;
      var n = box.value.length;
      note.hidden = n <= max;
      note.textContent = n > max ? "Ihre Eingabe hat " + n.toLocaleString("de-DE") + " Zeichen; erlaubt sind höchstens " +
        max.toLocaleString("de-DE") + ". Bitte kürzen Sie den Text." : "";
    });
  }
  // On a passage page, bring the hit into view.
  var hit = document.getElementById("treffer");
  if (hit && !window.location.hash && hit.scrollIntoView) {
    hit.scrollIntoView({ block: "center" });
  }
})();

// hits (14a)
// "Zitat kopieren": opening the <details> shows the citation (that is all it does without
// JavaScript); with it, the citation is also copied to the clipboard and the status line
// says so. navigator.clipboard needs a secure context (https or localhost); elsewhere the
// text is selected and copied with execCommand.
(function () {
  "use strict";
  function announce(box, text) {
    var status = box.querySelector(".zitat-status");
    if (status) status.textContent = text;
  }
  function fallbackCopy(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    return ok;
  }
  document.addEventListener("click", function (event) {
    var summary = event.target.closest && event.target.closest("details.zitat > summary");
    if (!summary) return;
    var box = summary.parentNode;
    var node = box.querySelector(".zitat-text");
    if (!node) return;
    var text = node.textContent.trim();
    if (box.open) return;  // closing: nothing to copy
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () {
        announce(box, "Zitat in die Zwischenablage kopiert.");
      }, function () {
        announce(box, fallbackCopy(node) ? "Zitat in die Zwischenablage kopiert." : "Bitte den Text markieren und kopieren.");
      });
    } else {
      window.setTimeout(function () {
        announce(box, fallbackCopy(node) ? "Zitat in die Zwischenablage kopiert." : "Bitte den Text markieren und kopieren.");
      }, 0);
    }
  });
})();
