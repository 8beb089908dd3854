// Starts Swagger UI on /api/docs (a file of its own: the pages allow no inline script).
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || !window.SwaggerUIBundle) { return; }
  window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    // Without deep links: they put a link inside each operation's button, which screen
    // readers and keyboards cannot use (nested interactive controls).
    deepLinking: false,
    // Nothing is sent anywhere to validate the description.
    validatorUrl: null
  });
})();
