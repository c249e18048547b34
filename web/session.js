// The logged-in session every page shares: who is logged in, and the
// CSRF token that must go with every POST (X-CSRF-Token). A page calls
// PS.start() first; without a session it goes to the login page.
"use strict";

window.PS = {
  user: null,
  role: null,
  csrf: "",

  async start() {
    const response = await fetch("/api/v1/session");
    if (response.status === 401) {
      location.href = "/login.html";
      return false;
    }
    const body = await response.json();
    this.user = body.user;
    this.role = body.role;
    this.csrf = body.csrf;
    const who = document.getElementById("who");
    if (who) who.textContent = `${body.user} (${body.role})`;
    const logout = document.getElementById("logout");
    if (logout) logout.addEventListener("click", () => this.logout());
    return true;
  },

  async post(path, body, contentType) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": contentType || "application/json", "X-CSRF-Token": this.csrf },
      body,
    });
    if (response.status === 401) location.href = "/login.html";
    return response;
  },

  async logout() {
    await this.post("/api/v1/logout", "{}");
    location.href = "/login.html";
  },
};
