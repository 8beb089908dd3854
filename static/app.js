// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // On a phone the menu is one row that scrolls sideways: keep the current page in view.
  var current = document.querySelector(".main-nav [aria-current]");
  if (current && current.scrollIntoView) { current.scrollIntoView({ block: "nearest", inline: "center" }); }

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

  // Search as you type: fetch the same page with the query and swap in its results.
  document.querySelectorAll("input[data-live-search]").forEach(function (input) {
    var target = document.getElementById(input.dataset.liveSearch);
    if (!target || !window.fetch) { return; }
    var timer = null;
    var latest = 0;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var url = new URL(input.form.action, window.location.href);
        url.searchParams.set(input.name, input.value);
        var ticket = ++latest;
        window.fetch(url.toString(), { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.text() : null; })
          .then(function (html) {
            if (html === null || ticket !== latest) { return; }
            var doc = new DOMParser().parseFromString(html, "text/html");
            var fresh = doc.getElementById(target.id);
            if (fresh) { target.replaceWith(fresh); target = fresh; }
          })
          .catch(function () { /* the submit button still works */ });
      }, 250);
    });
  });

  // A photo for an issued badge is sent as soon as it is taken; the form's own button is
  // for browsers without this file.
  document.querySelectorAll("input[type=file][data-autosubmit]").forEach(function (input) {
    var form = input.form;
    if (!form) { return; }
    form.querySelectorAll("[data-js-hidden]").forEach(function (button) { button.hidden = true; });
    input.addEventListener("change", function () {
      if (input.files && input.files.length && form.dataset.sent !== "1") {
        form.dataset.sent = "1";
        form.submit();
      }
    });
  });

  // Show the chosen photo before sending it.
  document.querySelectorAll("input[type=file][data-preview]").forEach(function (input) {
    var img = document.getElementById(input.dataset.preview);
    if (!img || !window.URL) { return; }
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) { img.hidden = true; return; }
      img.src = window.URL.createObjectURL(file);
      img.hidden = false;
    });
  });
  // A new share link: share it (Web Share API), copy it, print its card. The buttons stay
  // hidden where the browser cannot do what they say; the link itself is on the page.
  document.querySelectorAll("[data-share-url]").forEach(function (box) {
    var url = box.dataset.shareUrl;
    var status = box.querySelector("[role=status]");
    var share = box.querySelector("[data-share]");
    var copy = box.querySelector("[data-copy]");
    var print = box.querySelector("[data-print]");
    function say(text) { if (status) { status.textContent = text; } }
    if (share && navigator.share) {
      share.hidden = false;
      share.addEventListener("click", function () {
        navigator.share({ title: box.dataset.shareTitle, url: url }).catch(function () {
          /* closed without sharing */
        });
      });
    }
    if (copy && navigator.clipboard && window.isSecureContext) {
      copy.hidden = false;
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(url).then(
          function () { say(status.dataset.copied); },
          function () { say(status.dataset.copyFailed); }
        );
      });
    }
    if (print && window.print) {
      print.hidden = false;
      print.addEventListener("click", function () { window.print(); });
      document.querySelectorAll(".no-script-hint").forEach(function (hint) { hint.hidden = true; });
    }
  });

  // A group award's progress: follow its JSON and show the results page when it ends.
  document.querySelectorAll("[data-job-progress]").forEach(function (box) {
    if (!window.fetch) { return; }
    var bar = box.querySelector("progress");
    var text = box.querySelector("[data-job-count]");
    function poll() {
      window.fetch(box.dataset.jobProgress, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (p) {
          if (!p) { window.setTimeout(poll, 3000); return; }
          var finished = p.awarded + p.failed;
          if (bar) { bar.value = finished; }
          if (text) { text.textContent = finished + " / " + p.total; }
          if (p.state === "done" || p.state === "failed") { window.location.reload(); return; }
          window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, 1000);
  });
})();
