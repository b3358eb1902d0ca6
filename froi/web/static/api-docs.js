// Starts Swagger UI on the API documentation page (/api-docs). A file of its own, not
// an inline script: the site's Content-Security-Policy allows only the service's files.
// The document's address comes from the page (data-spec-url), so nothing is hard-coded.
(function () {
  "use strict";
  function start() {
    var element = document.getElementById("swagger-ui");
    if (!element || typeof window.SwaggerUIBundle !== "function") {
      return;
    }
    window.ui = window.SwaggerUIBundle({
      url: element.getAttribute("data-spec-url"),
      domNode: element,
      deepLinking: true,
      presets: [window.SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      // no call to the public validator service: nothing leaves this site
      validatorUrl: null,
      // "Try it out" sends the token typed under Authorize, never the session cookie
      withCredentials: false,
      tryItOutEnabled: false,
      persistAuthorization: false
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
