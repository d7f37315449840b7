// Starts Swagger UI on the OpenAPI document of this server; kept out of the page so that the
// Content Security Policy can forbid inline scripts.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: document.body.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
    withCredentials: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
    requestInterceptor: function (request) {
      // Cookie-authenticated writes need the CSRF token that the login answer gave.
      var token = window.sessionStorage.getItem("tacase-csrf");
      if (token) { request.headers["X-CSRFToken"] = token; }
      return request;
    },
    responseInterceptor: function (response) {
      if (response.body && response.body.csrf_token) {
        window.sessionStorage.setItem("tacase-csrf", response.body.csrf_token);
      }
      return response;
    },
  });
});
