"""Who may call what, on a live gateway: every route (ROUTES below) walked
as an anonymous caller, viewer, staff and admin browser sessions, and
viewer, staff and admin API tokens (the staff one made by `plexstaffai
token create`, as an operator would). Public routes answer anyone;
without a session a page redirects to the login page and an API answers
401; a role below the route's answers 403; a session's write without its
X-CSRF-Token answers 403. Every path the OpenAPI document lists must be
in ROUTES, so a documented route cannot skip the walk.

Logging in and out are left to test_auth.py (a walk would end its own
sessions and trip the login rate limit).
"""
import ctypes
import ctypes.util
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from stack import WEBHOOK_SECRET, Stack, wait_for  # noqa: E402
from test_auth import Client  # noqa: E402

BINDIR = os.environ.get("PS_BINDIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin"))

# The route table. Each entry: (method, path, least role, options).
# Roles: "public" (anyone), "viewer", "staff", "admin", and "webhook"
# (its own secret, whoever calls). Path placeholders: {known} a request
# the stack has decided, {missing} an id nobody has, {account} a new
# username per call. Options: ok = statuses a caller with the role gets
# (default 200; a redirect must not lead to the login page), body = the
# request body, page = an HTML page (anonymous callers are redirected to
# the login page), sse = an event stream.
MISSING = 999999
# A prototype page may be served in place or redirect to the new page.
ALIAS = {"page": True, "ok": (200, 301, 302, 303, 307, 308)}
TEST_HOOK = '{"notification_type": "TEST_NOTIFICATION"}'
ROUTES = [
    # public: login page, static assets, liveness, the webhook
    ("GET", "/login.html", "public", {}),
    ("GET", "/login.js", "public", {}),
    ("GET", "/style.css", "public", {}),
    ("GET", "/session.js", "public", {}),
    ("GET", "/app.js", "public", {}),
    ("GET", "/i18n/fr.json", "public", {}),
    ("GET", "/i18n/en.json", "public", {}),
    ("GET", "/vendor/chart.umd.min.js", "public", {}),
    ("GET", "/vendor/swagger-ui-bundle.js", "public", {}),
    ("GET", "/api/v1/health", "public", {"ok": (200, 503)}),
    ("GET", "/api/v1/session", "public", {"ok": (200, 401)}),
    ("POST", "/webhook/overseerr", "webhook", {"body": TEST_HOOK}),
    # pages
    ("GET", "/", "viewer", {"page": True}),
    ("GET", "/index.html", "viewer", {"page": True}),
    ("GET", "/reviews.html", "viewer", {"page": True}),
    ("GET", "/history.html", "viewer", {"page": True}),
    ("GET", "/users.html", "viewer", {"page": True}),
    ("GET", "/costs.html", "viewer", {"page": True}),
    ("GET", "/health.html", "viewer", {"page": True}),
    ("GET", "/backtest.html", "viewer", {"page": True}),
    ("GET", "/settings.html", "viewer", {"page": True}),
    ("GET", "/report.html", "viewer", {"page": True}),
    ("GET", "/docs", "viewer", {"page": True}),
    # prototype routes (shared/contracts/prototype.md)
    ("GET", "/history", "viewer", ALIAS),
    ("GET", "/health", "viewer", ALIAS),
    ("GET", "/staff/report", "viewer", ALIAS),
    ("GET", "/review-dashboard", "viewer", ALIAS),
    ("GET", "/staff/openai-stats", "viewer", ALIAS),
    ("GET", "/stats", "viewer", {}),
    ("GET", "/staff/reviews", "viewer", {}),
    ("GET", "/staff/pending-count", "viewer", {}),
    ("GET", "/staff/ml-stats", "viewer", {}),
    ("GET", "/staff/moderate", "viewer", {"ok": (405,)}),
    ("POST", "/moderate", "staff", {"ok": (200, 202), "body": "{}"}),
    ("POST", "/staff/moderate", "staff", {"ok": (200, 202), "body": "{}"}),
    ("POST", "/admin/moderate-now", "staff", {"ok": (200, 202),
                                              "body": "{}"}),
    ("POST", "/staff/review/{missing}/approve", "staff", {"ok": (404,),
                                                          "body": "{}"}),
    ("POST", "/staff/review/{missing}/reject", "staff", {"ok": (404,),
                                                         "body": "{}"}),
    # REST API reads
    ("GET", "/api/v1/openapi.json", "viewer", {}),
    ("GET", "/api/v1/stats", "viewer", {}),
    ("GET", "/api/v1/stats/daily", "viewer", {}),
    ("GET", "/api/v1/progress", "viewer", {}),
    ("GET", "/api/v1/events", "viewer", {"sse": True}),
    ("GET", "/api/v1/decisions", "viewer", {}),
    ("GET", "/api/v1/decisions.csv", "viewer", {}),
    ("GET", "/api/v1/reviews", "viewer", {}),
    ("GET", "/api/v1/requests/{known}", "viewer", {}),
    ("GET", "/api/v1/posters/{known}", "viewer", {}),
    ("GET", "/api/v1/users", "viewer", {}),
    ("GET", "/api/v1/rules", "viewer", {}),
    ("GET", "/api/v1/costs", "viewer", {}),
    # REST API writes
    ("POST", "/api/v1/scan", "staff", {"ok": (202,), "body": "{}"}),
    ("POST", "/api/v1/reviews/{missing}/approve", "staff",
     {"ok": (404,), "body": "{}"}),
    ("POST", "/api/v1/reviews/{missing}/decline", "staff",
     {"ok": (404,), "body": "{}"}),
    ("POST", "/api/v1/requests/{missing}/rejudge", "staff",
     {"ok": (404, 409), "body": "{}"}),
    ("POST", "/api/v1/backtest", "staff", {"body": "rules: {}\n"}),
    # administration
    ("GET", "/api/v1/tokens", "admin", {}),
    ("POST", "/api/v1/tokens", "admin",
     {"ok": (201,), "body": '{"name": "walk", "role": "viewer"}'}),
    ("DELETE", "/api/v1/tokens/{missing}", "admin", {"ok": (404,)}),
    ("GET", "/api/v1/accounts", "admin", {}),
    ("POST", "/api/v1/accounts", "admin",
     {"ok": (200, 201), "body": '{"username": "{account}", "password": '
                                '"walk-password-1", "role": "viewer"}'}),
    ("DELETE", "/api/v1/accounts/{missing}", "admin", {"ok": (404,)}),
    # writes where there is no such route still need staff
    ("POST", "/index.html", "staff", {"ok": (405,), "body": "{}"}),
    ("DELETE", "/api/v1/reviews", "staff", {"ok": (404, 405)}),
]
# Walked by test_auth.py instead: logging in and out.
WALKED_ELSEWHERE = {("POST", "/api/v1/login"), ("POST", "/api/v1/logout")}
RANK = {"public": 0, "viewer": 1, "staff": 2, "admin": 3}
PASSWORD = "walk-password-2"  # the viewer and staff accounts'


def template(path):
    """A path with every {placeholder} (or concrete id) made comparable
    with the OpenAPI document's templates."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def hash_password(password):
    """argon2id like gw_auth_add_user, through libsodium (ctypes: the
    standard library has no argon2)."""
    sodium = ctypes.CDLL(ctypes.util.find_library("sodium")
                         or "libsodium.so.23")
    assert sodium.sodium_init() >= 0
    sodium.crypto_pwhash_opslimit_interactive.restype = ctypes.c_size_t
    sodium.crypto_pwhash_memlimit_interactive.restype = ctypes.c_size_t
    sodium.crypto_pwhash_strbytes.restype = ctypes.c_size_t
    out = ctypes.create_string_buffer(sodium.crypto_pwhash_strbytes())
    secret = password.encode()
    rc = sodium.crypto_pwhash_str(
        out, secret, ctypes.c_ulonglong(len(secret)),
        ctypes.c_ulonglong(sodium.crypto_pwhash_opslimit_interactive()),
        ctypes.c_size_t(sodium.crypto_pwhash_memlimit_interactive()))
    assert rc == 0, "crypto_pwhash_str failed"
    return out.value.decode()


class AuthzTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(BINDIR, requests=10).start()
        cls.base = f"http://127.0.0.1:{cls.stack.gateway_port}"
        cls.accounts = 0
        try:
            cls._callers()
        except Exception:
            cls.stack.stop()
            print(cls.stack.log_tail(), flush=True)
            cls.stack.cleanup()
            raise

    @classmethod
    def _callers(cls):
        data_dir = os.path.join(cls.stack.dir, "data")
        with open(os.path.join(data_dir, "admin-password.txt")) as f:
            admin_password = f.read().split("password: ")[1].strip()
        admin = Client(cls.base)
        assert admin.login("admin", admin_password) == 200
        sessions = {"admin": admin}
        for role in ("viewer", "staff"):
            cls._add_account(admin, data_dir, "walk-" + role, role)
            client = Client(cls.base)
            status = client.login("walk-" + role, PASSWORD)
            assert status == 200, f"walk-{role} cannot log in: {status}"
            sessions[role] = client
        tokens = {}
        for role in ("viewer", "admin"):
            status, body, _ = admin.call(
                "POST", "/api/v1/tokens",
                json.dumps({"name": "walk-" + role, "role": role}))
            assert status == 201, body
            tokens[role] = json.loads(body)["token"]
        made = subprocess.run(
            [os.path.join(BINDIR, "plexstaffai"), "token", "create", "--role",
             "staff", "--name", "walk-staff", "--data-dir", data_dir],
            capture_output=True, text=True, timeout=30)
        assert made.returncode == 0, made.stderr
        tokens["staff"] = made.stdout.strip()
        cls.callers = [("anonymous", Client(cls.base), "public")]
        for role in ("viewer", "staff", "admin"):
            cls.callers.append((role + " session", sessions[role], role))
            cls.callers.append((role + " token", Client(cls.base,
                                                        tokens[role]), role))
        wait_for(cls.stack.settled, 60, "every request decided or reviewed")
        _, decisions = cls.stack.gw("GET", "/api/v1/decisions?limit=1")
        cls.known = decisions["decisions"][0]["request_id"]

    @classmethod
    def _add_account(cls, admin, data_dir, username, role):
        """POST /api/v1/accounts (the contract); where the gateway has no
        such route yet, the same row gw_auth_add_user writes."""
        status, body, _ = admin.call(
            "POST", "/api/v1/accounts",
            json.dumps({"username": username, "password": PASSWORD,
                        "role": role}))
        if status in (200, 201):
            return
        assert status in (404, 405), f"POST /api/v1/accounts: {status} {body}"
        db = sqlite3.connect(os.path.join(data_dir, "moderation.db"),
                             timeout=10)
        with db:
            db.execute("INSERT INTO users (username, role, password_hash,"
                       " created_at) VALUES (?, ?, ?, ?)",
                       (username, role, hash_password(PASSWORD),
                        int(time.time() * 1000)))
        db.close()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()
        cls.stack.cleanup()

    def concrete(self, path, body):
        AuthzTest.accounts += 1
        fill = {"{known}": str(self.known), "{missing}": str(MISSING),
                "{account}": f"walk-account-{AuthzTest.accounts}"}
        for key, value in fill.items():
            path = path.replace(key, value)
            body = body.replace(key, value) if body else body
        return path, body

    def expect(self, label, method, path, least, options, client, rank,
               problems):
        path, body = self.concrete(path, options.get("body"))
        where = f"{label} {method} {path}"
        if least == "webhook":
            status, text, _ = client.call(
                method, path, body,
                headers={"Authorization": "Bearer " + WEBHOOK_SECRET})
            if status != 200:
                problems.append(f"{where} with the secret: {status} {text}")
            status, text, _ = client.call(method, path, body)
            if status != 401:
                problems.append(f"{where} without the secret: {status}, "
                                f"expected 401")
            return
        sse = options.get("sse", False)
        status, text, headers = client.call(method, path, body, stream=sse)
        text = text[:200]
        if rank >= RANK[least]:
            ok = options.get("ok", (200,))
            location = headers.get("Location") or ""
            if status not in ok:
                problems.append(f"{where}: {status}, expected {ok}: {text}")
            elif location.endswith("/login.html"):
                problems.append(f"{where}: sent to the login page")
            elif sse and not (headers.get("Content-Type") or "").startswith(
                    "text/event-stream"):
                problems.append(f"{where}: Content-Type "
                                f"{headers.get('Content-Type')}")
        elif rank == 0:
            location = headers.get("Location") or ""
            redirected = status in (302, 303) and location.endswith(
                "/login.html")
            if path.startswith("/api/"):
                if status != 401:
                    problems.append(f"{where}: {status}, expected 401")
            elif options.get("page"):
                if not redirected:
                    problems.append(f"{where}: {status} {location}, expected "
                                    f"a redirect to /login.html")
            elif status != 401 and not redirected:
                problems.append(f"{where}: {status}, expected 401 or a "
                                f"redirect to /login.html")
        elif status != 403:
            problems.append(f"{where}: {status}, expected 403 (needs "
                            f"{least}): {text}")

    def test_every_route_for_every_caller(self):
        problems = []
        for label, client, role in self.callers:
            for method, path, least, options in ROUTES:
                self.expect(label, method, path, least, options, client,
                            RANK[role], problems)
        self.assertEqual(problems, [], "\n" + "\n".join(problems))

    def test_session_writes_need_the_csrf_token(self):
        problems = []
        for label, client, role in self.callers:
            if not label.endswith("session"):
                continue
            for method, path, least, options in ROUTES:
                if method == "GET" or least == "webhook":
                    continue
                path, body = self.concrete(path, options.get("body"))
                status, text, _ = client.call(method, path, body, csrf=False)
                if status != 403 or (RANK[role] >= RANK[least]
                                     and b"CSRF" not in text):
                    problems.append(f"{label} {method} {path} without "
                                    f"X-CSRF-Token: {status} {text[:120]}")
        self.assertEqual(problems, [], "\n" + "\n".join(problems))

    def test_anonymous_health_is_liveness_only(self):
        _, body, _ = Client(self.base).call("GET", "/api/v1/health")
        self.assertEqual(set(json.loads(body)), {"status"})
        viewer = next(c for label, c, _ in self.callers
                      if label == "viewer token")
        _, body, _ = viewer.call("GET", "/api/v1/health")
        self.assertIn("services", json.loads(body))

    def test_every_documented_route_is_walked(self):
        status, body = self.stack.gw("GET", "/api/v1/openapi.json")
        self.assertEqual(status, 200, "GET /api/v1/openapi.json")
        prefix = ""
        servers = body.get("servers") or [{}]
        url = servers[0].get("url", "")
        if url.startswith("/"):
            prefix = url.rstrip("/")
        walked = {(m, template(p)) for m, p, _, _ in ROUTES}
        walked |= {(m, template(p)) for m, p in WALKED_ELSEWHERE}
        missing = []
        for path, item in body["paths"].items():
            for method in item:
                if method.upper() not in ("GET", "POST", "PUT", "PATCH",
                                          "DELETE"):
                    continue
                key = (method.upper(), template(prefix + path))
                if key not in walked:
                    missing.append(f"{key[0]} {prefix}{path}")
        self.assertEqual(missing, [], "documented in openapi.json but not "
                         "in test_authz.py's ROUTES: " + ", ".join(missing))


if __name__ == "__main__":
    unittest.main(verbosity=2)
