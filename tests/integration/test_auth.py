"""Who may call what, on a live gateway: every route for anonymous
callers, viewer, staff and admin sessions and API tokens; CSRF on
cookie sessions; the login rate limit; the public routes stay public.
"""
import http.cookiejar
import json
import os
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from stack import Stack  # noqa: E402

BINDIR = os.environ.get("PS_BINDIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin"))

# (method, path, body, least role). "none" routes are public.
ROUTES = [
    ("GET", "/api/v1/health", None, "none"),
    ("GET", "/login.html", None, "none"),
    ("GET", "/style.css", None, "none"),
    ("GET", "/app.js", None, "none"),
    ("GET", "/i18n/fr.json", None, "none"),
    ("GET", "/", None, "viewer"),
    ("GET", "/index.html", None, "viewer"),
    ("GET", "/costs.html", None, "viewer"),
    ("GET", "/backtest.html", None, "viewer"),
    ("GET", "/staff/openai-stats", None, "viewer"),
    ("GET", "/api/v1/stats", None, "viewer"),
    ("GET", "/api/v1/decisions", None, "viewer"),
    ("GET", "/api/v1/reviews", None, "viewer"),
    ("GET", "/api/v1/costs", None, "viewer"),
    ("GET", "/api/v1/requests/101", None, "viewer"),
    ("GET", "/api/v1/progress", None, "viewer"),
    ("GET", "/api/v1/posters/999999", None, "viewer"),
    ("POST", "/api/v1/scan", "{}", "staff"),
    ("POST", "/api/v1/reviews/999999/approve", "{}", "staff"),
    ("POST", "/api/v1/reviews/999999/decline", "{}", "staff"),
    ("POST", "/api/v1/requests/999999/rejudge", "{}", "staff"),
    ("POST", "/api/v1/backtest", "rules: {}\n", "staff"),
    ("POST", "/api/v1/tokens", '{"name": "x", "role": "viewer"}', "admin"),
    # The prototype's routes (gw_proto): JSON ones answer 401, pages 302.
    ("GET", "/stats", None, "viewer"),
    ("GET", "/staff/reviews", None, "viewer"),
    ("GET", "/staff/pending-count", None, "viewer"),
    ("GET", "/staff/ml-stats", None, "viewer"),
    ("GET", "/history", None, "viewer"),
    ("GET", "/review-dashboard", None, "viewer"),
    ("GET", "/health", None, "viewer"),
    ("GET", "/staff/report", None, "viewer"),
    ("POST", "/staff/review/999999/approve", "{}", "staff"),
    ("POST", "/staff/review/999999/reject", "{}", "staff"),
    ("POST", "/moderate", "{}", "staff"),
    ("POST", "/staff/moderate", "{}", "staff"),
    ("POST", "/admin/moderate-now", "{}", "staff"),
    ("GET", "/api/v1/decisions.csv", None, "viewer"),
    ("GET", "/api/v1/users", None, "viewer"),
    ("GET", "/api/v1/rules", None, "viewer"),
    ("GET", "/api/v1/stats/daily", None, "viewer"),
    ("GET", "/api/v1/openapi.json", None, "viewer"),
    ("GET", "/docs", None, "viewer"),
    ("GET", "/api/v1/tokens", None, "admin"),
    ("DELETE", "/api/v1/tokens/999999", None, "admin"),
    ("GET", "/api/v1/accounts", None, "admin"),
    ("POST", "/api/v1/accounts", '{"username": "x"}', "admin"),
    ("DELETE", "/api/v1/accounts/nobody", None, "admin"),
    # A write to a path that is not an API route still needs staff.
    ("POST", "/index.html", "{}", "staff"),
    ("DELETE", "/api/v1/reviews", None, "staff"),
]
RANK = {"none": 0, "viewer": 1, "staff": 2, "admin": 3}
PROTO_JSON = {"/stats", "/staff/reviews", "/staff/pending-count",
              "/staff/ml-stats", "/staff/review/999999/approve",
              "/staff/review/999999/reject", "/moderate", "/staff/moderate",
              "/admin/moderate-now"}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """A caller: anonymous, a browser session (cookie + CSRF) or a
    token."""

    def __init__(self, base, token=None):
        self.base = base
        self.token = token
        self.csrf = None
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def call(self, method, path, body=None, csrf=True):
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method)
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        if self.csrf and csrf:
            req.add_header("X-CSRF-Token", self.csrf)
        try:
            with self.opener.open(req, timeout=10) as resp:
                return resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as err:
            return err.code, err.read(), err.headers

    def login(self, username, password):
        status, body, _ = self.call(
            "POST", "/api/v1/login",
            json.dumps({"username": username, "password": password}))
        if status == 200:
            self.csrf = json.loads(body)["csrf"]
        return status


class AuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(BINDIR, requests=10).start()
        cls.base = f"http://127.0.0.1:{cls.stack.gateway_port}"
        with open(os.path.join(cls.stack.dir, "data",
                               "admin-password.txt")) as f:
            cls.admin_password = f.read().split("password: ")[1].strip()
        cls.admin = Client(cls.base)
        assert cls.admin.login("admin", cls.admin_password) == 200
        cls.tokens = {}
        for role in ("viewer", "staff", "admin"):
            status, body, _ = cls.admin.call(
                "POST", "/api/v1/tokens",
                json.dumps({"name": "it-" + role, "role": role}))
            assert status == 201, body
            cls.tokens[role] = json.loads(body)["token"]

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()
        cls.stack.cleanup()

    def check_routes(self, client, rank, label):
        for method, path, body, least in ROUTES:
            status, text, headers = client.call(method, path, body)
            allowed = rank >= RANK[least]
            if allowed:
                self.assertNotIn(status, (401, 403),
                                 f"{label} {method} {path}: {status} {text}")
                # The prototype's pages redirect to ours, not to login.
                if status == 302:
                    self.assertNotEqual(headers["Location"], "/login.html",
                                        f"{label} {method} {path}")
            elif rank == 0:
                if path.startswith("/api/") or path in PROTO_JSON:
                    self.assertEqual(status, 401, f"{label} {method} {path}")
                else:
                    self.assertEqual(status, 302, f"{label} {method} {path}")
                    self.assertEqual(headers["Location"], "/login.html")
            else:
                self.assertEqual(status, 403, f"{label} {method} {path}")

    def test_every_route_for_every_caller(self):
        self.check_routes(Client(self.base), 0, "anonymous")
        for role, rank in (("viewer", 1), ("staff", 2), ("admin", 3)):
            self.check_routes(Client(self.base, self.tokens[role]), rank,
                              role + " token")
        self.check_routes(self.admin, 3, "admin session")

    def test_anonymous_health_is_liveness_only(self):
        status, body, _ = Client(self.base).call("GET", "/api/v1/health")
        self.assertEqual(set(json.loads(body)), {"status"})
        status, body, _ = Client(self.base, self.tokens["viewer"]).call(
            "GET", "/api/v1/health")
        self.assertIn("services", json.loads(body))

    def test_session_posts_need_the_csrf_token(self):
        status, body, _ = self.admin.call("POST", "/api/v1/scan", "{}",
                                          csrf=False)
        self.assertEqual(status, 403)
        self.assertIn(b"CSRF", body)
        status, _, _ = self.admin.call("POST", "/api/v1/scan", "{}")
        self.assertEqual(status, 202)

    def test_cookie_is_httponly_and_strict(self):
        client = Client(self.base)
        req = urllib.request.Request(
            self.base + "/api/v1/login", method="POST",
            data=json.dumps({"username": "admin",
                             "password": self.admin_password}).encode())
        with urllib.request.urlopen(req, timeout=10) as resp:
            cookie = resp.headers["Set-Cookie"]
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Strict", cookie)
        self.assertIsNone(client.csrf)

    def test_logout_ends_the_session(self):
        client = Client(self.base)
        self.assertEqual(client.login("admin", self.admin_password), 200)
        self.assertEqual(client.call("GET", "/api/v1/stats")[0], 200)
        self.assertEqual(client.call("POST", "/api/v1/logout", "{}")[0], 200)
        client.csrf = None
        self.assertEqual(client.call("GET", "/api/v1/stats")[0], 401)

    def test_wrong_passwords_are_rate_limited(self):
        client = Client(self.base)
        codes = [client.login("admin", "not-the-password") for _ in range(6)]
        self.assertEqual(codes[:5], [401] * 5)
        self.assertEqual(codes[5], 429)
        # Even the right password waits out the window from this address.
        self.assertEqual(client.login("admin", self.admin_password), 429)

    def test_password_never_in_logs(self):
        logs = self.stack.log_tail(10000)
        self.assertNotIn(self.admin_password, logs)
        self.assertIn("admin-password.txt", logs)


if __name__ == "__main__":
    unittest.main(verbosity=2)
