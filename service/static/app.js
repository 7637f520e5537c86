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
  // On a passage page, bring the hit into view.
  var hit = document.getElementById("treffer");
  if (hit && !window.location.hash && hit.scrollIntoView) {
    hit.scrollIntoView({ block: "center" });
  }
})();
