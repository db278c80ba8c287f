// Swagger UI over Quarry's OpenAPI document. "Authorize" takes a bearer
// token (quarry token issue); it is kept in this browser's storage so a
// reload does not ask again.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.yaml",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
  });
});
