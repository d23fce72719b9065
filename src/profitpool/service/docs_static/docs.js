// Starts Swagger UI on /docs. A file rather than an inline script, so /docs keeps the
// site's Content-Security-Policy (script-src 'self', no 'unsafe-inline'); the bundle it
// starts is served from this server too (service/docs.py, docs/service.md).
"use strict";

(() => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    // Swagger UI would otherwise fetch a badge from its validator's site for a document
    // that is not on localhost: nothing on this page may come from another host.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
