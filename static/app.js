// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // A second tap on "issue" while the first is on its way does nothing (the server also
  // ignores a resent form by its idempotency key).
  document.querySelectorAll("button[data-once]").forEach(function (button) {
    var form = button.form;
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent === "1") { event.preventDefault(); return; }
      form.dataset.sent = "1";
      button.setAttribute("aria-disabled", "true");
    });
  });
})();
