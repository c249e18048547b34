"""Logging in on a live gateway: the session cookie's flags, CSRF on a
session's writes, logging out, the login rate limit, and no password in
the logs. Who may call which route is test_authz.py's walk.
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

    def call(self, method, path, body=None, csrf=True, headers=None,
             stream=False):
        """(status, body bytes, headers). headers override the caller's
        own (a webhook secret replaces a token); stream=True returns as
        soon as the headers arrive, body b"" (Server-Sent Events)."""
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method)
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        if self.csrf and csrf:
            req.add_header("X-CSRF-Token", self.csrf)
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        try:
            with self.opener.open(req, timeout=10) as resp:
                return (resp.status, b"" if stream else resp.read(),
                        resp.headers)
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

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()
        cls.stack.cleanup()

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
