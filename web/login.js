// Login form: posts the credentials, then goes to the dashboard. The
// session cookie is HttpOnly; this page never sees it.
"use strict";

document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const box = document.getElementById("error");
  try {
    const response = await fetch("/api/v1/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        username: document.getElementById("username").value,
        password: document.getElementById("password").value,
      }),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.status);
    location.href = "/";
  } catch (err) {
    box.textContent = err.message;
    box.hidden = false;
  }
});
