// Starts Swagger UI on /api/v1/openapi.json. "Try it out" runs with the
// page's own session cookie; a state-changing call also needs the
// session's CSRF token, read once from /api/v1/session and added to
// every non-GET request. Without a session the page goes to the login.
"use strict";

(async () => {
  const session = await fetch("/api/v1/session");
  if (session.status === 401) {
    location.href = "/login.html";
    return;
  }
  const { csrf } = await session.json();
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // No "Explore" bar fetching arbitrary URLs, no validator call-out to
    // swagger.io: everything stays on this server.
    layout: "BaseLayout",
    validatorUrl: null,
    requestInterceptor: (request) => {
      const method = (request.method || "GET").toUpperCase();
      if (csrf && method !== "GET" && method !== "HEAD") {
        request.headers["X-CSRF-Token"] = csrf;
      }
      return request;
    },
  });
})();
