"""The dashboard's REST API on a live stack (gw_api.c): every decisions
filter against moderation.db, cursor pages covering every row exactly
once, the CSV export (exactly the filtered rows, parsed by Python's csv
module, hostile titles intact), requesters with their quota and trust,
the effective rules with no secret in sight, per-day statistics with the
agreement with staff, API tokens and staff accounts (admin only), the
OpenAPI document listing every route the gateway answers, and Swagger UI
rendering under the CSP in headless Chromium.
"""
import csv
import datetime
import io
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import unittest
import urllib.error
import urllib.parse
import urllib.request
import zoneinfo

sys.path.insert(0, os.path.dirname(__file__))
from stack import API_KEY, WEBHOOK_SECRET, Stack, http, wait_for  # noqa: E402

BINDIR = os.environ.get("PS_BINDIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin"))
SOURCE = os.path.join(os.path.dirname(__file__), "..", "..")
LLM_KEY = "it-llm-key"

# Titles a CSV writer or an HTML page gets wrong.
HOSTILE = [
    "Crouching Tiger, Hidden Dragon",
    'The "Quoted" Movie',
    "Line one\nLine two",
    "Carriage\r\nReturn",
    "<img src=x onerror=alert(1)>",
    "Amélie — 東京物語, 100% Real_Deal",
    "=HYPERLINK(\"http://x\")",
    # Would match `100%` and `l_d` if LIKE's wildcards were not escaped.
    "1000 Ways Off the Lid",
]
TRUSTED_ID = 3
RESTRICTED_ID = 4


class ApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        rules = f"""  min_rating: 5.0
  approve_rating: 8.0
  blocked_genres: [Horror]
  trusted_users: ["{TRUSTED_ID}"]
  restricted_users: ["{RESTRICTED_ID}"]"""
        cls.stack = Stack(BINDIR, requests=40, rules=rules).start()
        try:
            cls.hostile_ids = {}
            for i, title in enumerate(HOSTILE):
                status, body = cls.stack.sim("POST", "/sim/requests", {
                    "title": title, "type": "tv" if i % 2 else "movie",
                    "userId": 2 + i % 5})
                assert status == 200, body
                cls.hostile_ids[body["ids"][0]] = title
            wait_for(cls.stack.settled, 120, "every request decided")
            wait_for(lambda: cls.hostile_ids.keys() <= cls.decided_ids(),
                     60, "the hostile titles decided")
            # A staff decision, so staff rows and agreement exist.
            # An AI review has a score, so its lean is compared.
            status, body = cls.stack.gw("GET", "/api/v1/reviews")
            reviews = sorted((r["source"] != "ai", r["request_id"])
                             for r in body["reviews"])
            assert reviews, "the LLM simulator sent nothing to review"
            cls.staff_request = reviews[0][1]
            status, body = cls.stack.gw(
                "POST", f"/api/v1/reviews/{cls.staff_request}/approve",
                {"reason": 'fine, "really"'})
            assert status == 200, body
        except Exception:
            print(cls.stack.log_tail())
            cls.stack.stop()
            raise
        cls.base = f"http://127.0.0.1:{cls.stack.gateway_port}"

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()
        cls.stack.cleanup()

    # -- helpers ------------------------------------------------------------
    @classmethod
    def db(cls):
        path = os.path.join(cls.stack.dir, "data", "moderation.db")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        return conn

    @classmethod
    def decided_ids(cls):
        with cls.db() as conn:
            return {r[0] for r in conn.execute(
                "SELECT DISTINCT request_id FROM decisions")}

    def db_rows(self):
        """Every decision joined with its request, as the API filters
        them, straight from the database."""
        with self.db() as conn:
            return [dict(r) for r in conn.execute(
                "SELECT d.id, d.request_id, d.outcome, d.source, d.explanation,"
                " d.reason, d.decided_at, r.title, r.media_type, r.user_name,"
                " r.user_id FROM decisions d JOIN requests r"
                " ON r.request_id = d.request_id")]

    def get(self, path, token=None, method="GET", body=None):
        headers = {"Authorization": "Bearer " + token} if token else None
        return self.stack.gw(method, path, body, headers=headers)

    def raw(self, path, token=None, method="GET"):
        req = urllib.request.Request(self.base + path, method=method)
        req.add_header("Authorization",
                       "Bearer " + (token or self.stack.api_token))
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as err:
            return err.code, err.read(), err.headers

    def all_pages(self, query="", limit=1000):
        rows, cursor, pages = [], None, 0
        while True:
            path = f"/api/v1/decisions?limit={limit}"
            if query:
                path += "&" + query
            if cursor:
                path += "&cursor=" + urllib.parse.quote(cursor)
            status, body = self.stack.gw("GET", path)
            self.assertEqual(status, 200, f"{path}: {body}")
            self.assertLessEqual(len(body["decisions"]), limit)
            rows.extend(body["decisions"])
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                return rows, pages

    def local_day(self, ms):
        zone = zoneinfo.ZoneInfo(self.rules()["timezone"])
        return datetime.datetime.fromtimestamp(ms / 1000, zone).date()

    def rules(self):
        status, body = self.stack.gw("GET", "/api/v1/rules")
        self.assertEqual(status, 200, body)
        return body

    # -- decisions ----------------------------------------------------------
    def test_pages_cover_every_row_exactly_once(self):
        expected = {r["id"] for r in self.db_rows()}
        rows, pages = self.all_pages(limit=7)
        ids = [r["id"] for r in rows]
        self.assertEqual(len(ids), len(set(ids)), "a row came twice")
        self.assertEqual(set(ids), expected)
        self.assertEqual(pages, -(-len(expected) // 7))
        order = [(r["decided_at"], r["id"]) for r in rows]
        self.assertEqual(order, sorted(order, reverse=True))
        row = rows[0]
        for field in ("id", "request_id", "outcome", "source", "rule",
                      "explanation", "score", "ai_score", "model", "matched",
                      "params", "actor", "reason", "decided_at", "title",
                      "media_type", "user_name", "user_id", "state",
                      "ai_cost_usd", "ai_tokens"):
            self.assertIn(field, row)

    def test_each_filter_matches_the_database(self):
        db = self.db_rows()
        name = next(r["user_name"] for r in db if r["user_name"])
        some_day = self.local_day(db[0]["decided_at"])
        cases = {
            "outcome=review": lambda r: r["outcome"] == "review",
            "outcome=decline": lambda r: r["outcome"] == "decline",
            "source=ai": lambda r: r["source"] == "ai",
            "source=rule": lambda r: r["source"] == "rule",
            "source=staff": lambda r: r["source"] == "staff",
            "source=learner": lambda r: r["source"] == "learner",
            "media_type=tv": lambda r: r["media_type"] == "tv",
            f"user={urllib.parse.quote(name.swapcase())}":
                lambda r: (r["user_name"] or "").lower() == name.lower(),
            f"user={TRUSTED_ID}": lambda r: r["user_id"] == TRUSTED_ID,
            f"from={some_day}&to={some_day}":
                lambda r: self.local_day(r["decided_at"]) == some_day,
            f"from={some_day + datetime.timedelta(days=1)}": lambda r: False,
            f"to={some_day - datetime.timedelta(days=1)}": lambda r: False,
            # LIKE wildcards match only themselves.
            "q=100%25": lambda r: "100%" in (r["title"] or ""),
            "q=l_D": lambda r: "l_d" in (r["title"] or "").lower(),
            "q=" + urllib.parse.quote("<IMG src"):
                lambda r: "<img src" in (r["title"] or "").lower(),
            "q=" + urllib.parse.quote('"really"'):
                lambda r: '"really"' in (r["reason"] or ""),
            "outcome=approve&media_type=movie&source=rule":
                lambda r: r["outcome"] == "approve"
                and r["media_type"] == "movie" and r["source"] == "rule",
        }
        for query, keep in cases.items():
            expected = {r["id"] for r in db if keep(r)}
            rows, _ = self.all_pages(query, limit=5)
            self.assertEqual({r["id"] for r in rows}, expected, query)
        self.assertTrue(any(r["source"] == "staff" for r in db))
        self.assertTrue(any("100%" in (r["title"] or "") for r in db))

    def test_head_answers_headers_only(self):
        # Monitoring tools probe with HEAD: same status and length as the
        # GET, no body on the wire (a body would corrupt keep-alive).
        # A raw socket: http.client would drop a stray body by itself.
        status, body, headers = self.raw("/api/v1/rules")
        self.assertEqual(status, 200)
        with socket.create_connection(
                ("127.0.0.1", self.stack.gateway_port), timeout=10) as sock:
            sock.sendall(("HEAD /api/v1/rules HTTP/1.1\r\nHost: test\r\n"
                          f"Authorization: Bearer {self.stack.api_token}\r\n"
                          "Connection: close\r\n\r\n").encode())
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        head, _, rest = answer.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head[:40])
        self.assertIn(f"Content-Length: {headers['Content-Length']}".encode(),
                      head)
        self.assertEqual(rest, b"", "HEAD sent a body")

    def test_bad_parameters_are_named(self):
        for query, message in [
            ("from=2026-13-01", "query `from`: expected YYYY-MM-DD"),
            ("to=tomorrow", "query `to`: expected YYYY-MM-DD"),
            ("outcome=yes", "query `outcome`: expected approve, decline or "
                            "review"),
            ("source=llm", "query `source`:"),
            ("media_type=book", "query `media_type`:"),
            ("limit=5000", "query `limit`: expected 1 to 1000"),
            ("cursor=abc", "query `cursor`:"),
            ("outcomes=approve", "query `outcomes`: unknown parameter"),
        ]:
            status, body = self.stack.gw("GET", "/api/v1/decisions?" + query)
            self.assertEqual(status, 400, query)
            self.assertTrue(body["error"].startswith(message), body)
        status, body = self.stack.gw("GET", "/api/v1/decisions.csv?limit=3")
        self.assertEqual(status, 400, body)
        status, _ = self.stack.gw("POST", "/api/v1/decisions", {})
        self.assertEqual(status, 405)

    def test_ai_cost_per_row_is_the_requests_usage(self):
        with self.db() as conn:
            cost = {r[0]: (r[1], r[2]) for r in conn.execute(
                "SELECT request_id, SUM(cost_usd),"
                " SUM(prompt_tokens + completion_tokens) FROM usage"
                " GROUP BY request_id")}
        rows, _ = self.all_pages()
        self.assertTrue(any(r["ai_tokens"] > 0 for r in rows))
        for r in rows:
            usd, tokens = cost.get(r["request_id"], (0, 0))
            self.assertAlmostEqual(r["ai_cost_usd"], usd, places=9)
            self.assertEqual(r["ai_tokens"], tokens)

    # -- CSV ------------------------------------------------------------------
    def parse_csv(self, data):
        text = data.decode("utf-8")
        return list(csv.DictReader(io.StringIO(text, newline="")))

    def test_csv_has_exactly_the_filtered_rows(self):
        for query in ["", "media_type=movie", "source=ai&outcome=review",
                      "q=%3Cimg"]:
            status, data, headers = self.raw("/api/v1/decisions.csv?" + query)
            self.assertEqual(status, 200, data)
            self.assertEqual(headers["Content-Type"],
                             "text/csv; charset=utf-8")
            self.assertEqual(headers["Transfer-Encoding"], "chunked")
            self.assertRegex(headers["Content-Disposition"],
                             r'^attachment; filename="plexstaffai-decisions-'
                             r'\d{4}-\d\d-\d\d\.csv"$')
            rows = self.parse_csv(data)
            expected, _ = self.all_pages(query)
            self.assertEqual([int(r["decision_id"]) for r in rows],
                             [r["id"] for r in expected], query)
            # RFC 4180: every record ends with CRLF, header first.
            self.assertTrue(data.startswith(b"decision_id,decided_at,"))
            self.assertTrue(data.endswith(b"\r\n"))
        header = data.split(b"\r\n", 1)[0].decode().split(",")
        for column in ("explanation", "staff", "staff_reason", "source",
                       "rule", "ai_cost_usd", "ai_tokens"):
            self.assertIn(column, header)

    def test_csv_keeps_hostile_titles_intact(self):
        status, data, _ = self.raw("/api/v1/decisions.csv")
        self.assertEqual(status, 200)
        rows = self.parse_csv(data)
        by_request = {int(r["request_id"]): r for r in rows}
        for request_id, title in self.hostile_ids.items():
            got = by_request[request_id]["title"]
            if title.startswith("="):
                self.assertEqual(got, "'" + title)  # no formula runs
            else:
                self.assertEqual(got, title)
        staff = [r for r in rows if r["source"] == "staff"]
        self.assertTrue(staff)
        self.assertEqual(staff[0]["staff_reason"], 'fine, "really"')
        self.assertEqual(staff[0]["staff"], "environment")

    # -- users ----------------------------------------------------------------
    def test_users_match_the_database_and_the_rules(self):
        status, body = self.stack.gw("GET", "/api/v1/users")
        self.assertEqual(status, 200, body)
        users = {u["user_id"]: u for u in body["users"]}
        with self.db() as conn:
            counts = {r[0]: r[1] for r in conn.execute(
                "SELECT user_id, COUNT(*) FROM requests"
                " WHERE user_id IS NOT NULL GROUP BY user_id")}
        self.assertEqual({k: u["requests"] for k, u in users.items()},
                         counts)
        requests = [u["requests"] for u in body["users"]]
        self.assertEqual(requests, sorted(requests, reverse=True))
        self.assertEqual(users[TRUSTED_ID]["trust"], "trusted")
        self.assertEqual(users[TRUSTED_ID]["quota"]["limit"], 50)
        self.assertEqual(users[RESTRICTED_ID]["trust"], "restricted")
        self.assertEqual(users[RESTRICTED_ID]["quota"]["limit"], 2)
        # A restricted user's requests are all declined by the rules.
        self.assertEqual(users[RESTRICTED_ID]["approved"], 0)
        others = [u for k, u in users.items()
                  if k not in (TRUSTED_ID, RESTRICTED_ID)]
        self.assertTrue(others)
        for u in others:
            self.assertEqual(u["trust"], "normal")
            self.assertEqual(u["quota"]["limit"], 10)
            # Every request here is from the last few minutes.
            self.assertEqual(u["quota"]["used"], u["requests"])
            decided = u["approved"] + u["declined"]
            if decided:
                self.assertAlmostEqual(u["approval_rate"],
                                       u["approved"] / decided)
        name = users[TRUSTED_ID]["name"]
        status, body = self.stack.gw(
            "GET", "/api/v1/users?q=" + urllib.parse.quote(name.upper()))
        self.assertEqual(status, 200, body)
        self.assertIn(TRUSTED_ID, [u["user_id"] for u in body["users"]])
        self.assertTrue(all(name.lower() in u["name"].lower()
                            for u in body["users"]))

    # -- rules ----------------------------------------------------------------
    def test_rules_show_every_key_and_no_secret(self):
        status, raw, _ = self.raw("/api/v1/rules")
        self.assertEqual(status, 200)
        for secret in (API_KEY, WEBHOOK_SECRET, LLM_KEY,
                       self.stack.api_token):
            self.assertNotIn(secret.encode(), raw)
        doc = json.loads(raw)
        settings = doc["settings"]
        with open(os.path.join(SOURCE, "README.md")) as f:
            readme = f.read()
        # The key table of the configuration reference, not the other
        # tables (SSE event types, routes) that also start with `name`.
        keys_section = readme.split("### Keys", 1)[1].split("\n### ", 1)[0]
        documented = re.findall(r"^\| `([a-z_.0-9]+)` \|", keys_section,
                                re.M)
        self.assertGreater(len(documented), 100)
        for key in documented:
            self.assertIn(key, settings, f"{key} missing from /api/v1/rules")
        self.assertEqual(settings["overseerr.api_key"], "set")
        self.assertEqual(settings["gateway.webhook_secret"], "set")
        self.assertEqual(settings["ai.api_key"], "set")
        self.assertEqual(settings["integrations.radarr.api_key"], "not set")
        self.assertEqual(settings["rules.trusted_users"], [str(TRUSTED_ID)])
        self.assertEqual(settings["rules.min_rating"], 5.0)
        self.assertEqual(settings["scan_interval"], 3600)
        self.assertEqual(doc["config_errors"], [])
        rulesets = {r["ruleset"] for r in self.all_pages("source=rule")[0]}
        self.assertEqual(rulesets, {doc["rules_version"]})

    # -- stats/daily ----------------------------------------------------------
    def test_daily_stats_count_the_database(self):
        status, body = self.stack.gw("GET", "/api/v1/stats/daily?days=3")
        self.assertEqual(status, 200, body)
        days = body["daily"]
        self.assertEqual(len(days), 3)
        db = self.db_rows()
        today = max(self.local_day(r["decided_at"]) for r in db)
        self.assertEqual(days[-1]["day"], str(today))
        self.assertEqual(days[0]["day"],
                         str(today - datetime.timedelta(days=2)))
        entry = days[-1]
        todays = [r for r in db if self.local_day(r["decided_at"]) == today]
        self.assertEqual(entry["decisions"], len(todays))
        for outcome in ("approve", "decline", "review"):
            self.assertEqual(entry["outcomes"][outcome],
                             sum(r["outcome"] == outcome for r in todays))
        for source in {r["source"] for r in todays}:
            self.assertEqual(entry["sources"][source],
                             sum(r["source"] == source for r in todays))
        approved = entry["outcomes"]["approve"]
        declined = entry["outcomes"]["decline"]
        self.assertAlmostEqual(entry["approval_rate"],
                               approved / (approved + declined))
        with self.db() as conn:
            calls, usd = conn.execute(
                "SELECT COUNT(*), SUM(cost_usd) FROM usage").fetchone()
        self.assertEqual(entry["ai"]["calls"], calls)
        self.assertAlmostEqual(entry["ai"]["cost_usd"], usd, places=9)
        # The reviewed request: its pipeline decision before staff's
        # leans by its outcome or score (the documented definition).
        with self.db() as conn:
            prior = conn.execute(
                "SELECT source, outcome, COALESCE(score, ai_score) FROM"
                " decisions WHERE request_id = ? AND source != 'staff'"
                " ORDER BY id DESC LIMIT 1",
                (self.staff_request,)).fetchone()
        source, outcome, score = prior
        if outcome in ("approve", "decline"):
            lean = outcome
        else:
            lean = None if score is None else (
                "approve" if score >= 0.5 else "decline")
        agreement = entry["agreement"].get(source)
        if lean is None:
            self.assertTrue(agreement is None or agreement["compared"] == 0)
        else:
            self.assertEqual(agreement["compared"], 1)
            self.assertEqual(agreement["agreed"], int(lean == "approve"))
        status, body = self.stack.gw("GET", "/api/v1/stats/daily?days=0")
        self.assertEqual(status, 400)
        self.assertEqual(body["error"], "query `days`: expected 1 to 366")

    # -- tokens and accounts --------------------------------------------------
    def test_tokens_and_accounts_are_admin_only(self):
        made = {}
        for role in ("viewer", "staff"):
            status, body = self.stack.gw("POST", "/api/v1/tokens",
                                         {"name": "api-" + role, "role": role})
            self.assertEqual(status, 201, body)
            made[role] = body["token"]
        for role, token in made.items():
            for method, path, body in [
                ("GET", "/api/v1/tokens", None),
                ("DELETE", "/api/v1/tokens/1", None),
                ("GET", "/api/v1/accounts", None),
                ("POST", "/api/v1/accounts",
                 {"username": "x", "password": "y" * 12, "role": "admin"}),
                ("DELETE", "/api/v1/accounts/admin", None),
            ]:
                status, answer = self.get(path, token, method, body)
                self.assertEqual(status, 403, f"{role} {method} {path}")
            status, _ = self.get("/api/v1/decisions", token)
            self.assertEqual(status, 200)
        status, raw, _ = self.raw("/api/v1/tokens")
        self.assertEqual(status, 200)
        for token in list(made.values()) + [self.stack.api_token]:
            self.assertNotIn(token.encode(), raw)
        listed = {t["name"]: t for t in json.loads(raw)["tokens"]}
        self.assertNotIn("token_hash", json.dumps(listed))
        self.assertEqual(set(listed["api-viewer"]),
                         {"id", "name", "role", "created_at", "last_used_at"})
        self.assertEqual(listed["api-viewer"]["role"], "viewer")
        self.assertIsNotNone(listed["api-viewer"]["last_used_at"])
        self.assertIsNotNone(listed["environment"]["last_used_at"])
        viewer_id = listed["api-viewer"]["id"]
        status, _ = self.stack.gw("DELETE", f"/api/v1/tokens/{viewer_id}")
        self.assertEqual(status, 200)
        status, _ = self.get("/api/v1/decisions", made["viewer"])
        self.assertEqual(status, 401)
        status, _ = self.stack.gw("DELETE", f"/api/v1/tokens/{viewer_id}")
        self.assertEqual(status, 404)

        status, body = self.stack.gw("POST", "/api/v1/accounts", {
            "username": "carol", "password": "short", "role": "staff"})
        self.assertEqual(status, 400)
        self.assertIn("password", body["error"])
        status, body = self.stack.gw("POST", "/api/v1/accounts", {
            "username": "carol", "password": "a long passphrase",
            "role": "boss"})
        self.assertEqual(status, 400)
        self.assertIn("role", body["error"])
        password = "correct horse battery"
        status, body = self.stack.gw("POST", "/api/v1/accounts", {
            "username": "carol", "password": password, "role": "staff"})
        self.assertEqual(status, 201, body)
        status, body = self.stack.gw("POST", "/api/v1/accounts", {
            "username": "Carol", "password": password, "role": "staff"})
        self.assertEqual(status, 409, body)
        status, raw, _ = self.raw("/api/v1/accounts")
        self.assertNotIn(b"argon2", raw)
        accounts = {a["username"]: a for a in json.loads(raw)["accounts"]}
        self.assertEqual(accounts["carol"]["role"], "staff")
        status, body = http("POST", self.base + "/api/v1/login",
                            {"username": "carol", "password": password})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["role"], "staff")
        status, body = self.stack.gw("DELETE", "/api/v1/accounts/admin")
        self.assertEqual(status, 409, body)
        self.assertIn("last admin", body["error"])
        status, _ = self.stack.gw("DELETE", "/api/v1/accounts/carol")
        self.assertEqual(status, 200)
        status, _ = self.stack.gw("DELETE", "/api/v1/accounts/carol")
        self.assertEqual(status, 404)
        status, body = http("POST", self.base + "/api/v1/login",
                            {"username": "carol", "password": password})
        self.assertEqual(status, 401)

    # -- OpenAPI and Swagger UI -------------------------------------------------
    def routes_in_source(self):
        """Every route path the gateway's route modules compare against."""
        found = set()
        for name in ("gw_http.c", "gw_api.c", "gw_sse.c", "gw_poster.c"):
            with open(os.path.join(SOURCE, "services", "api-gateway",
                                   name)) as f:
                text = f.read()
            found |= set(re.findall(r'"(/api/v1/[a-z0-9_./{}-]*)"', text))
            found |= set(re.findall(r'"(/webhook/[a-z]+)"', text))
        return found

    def test_openapi_lists_every_route(self):
        status, raw, headers = self.raw("/api/v1/openapi.json")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/json")
        doc = json.loads(raw)
        self.assertEqual(doc["openapi"], "3.0.3")
        paths = doc["paths"]
        source = self.routes_in_source()
        self.assertIn("/api/v1/decisions.csv", source)
        for route in source:
            route = route.rstrip("/") if route.endswith("/") else route
            if "{" in route:
                self.assertIn(route, paths)
            else:
                self.assertTrue(any(p == route or p.startswith(route + "/")
                                    for p in paths), f"{route} undocumented")
        for route in ["/api/v1/reviews/{id}/approve",
                      "/api/v1/reviews/{id}/decline",
                      "/api/v1/requests/{id}", "/api/v1/requests/{id}/rejudge",
                      "/api/v1/tokens/{id}", "/api/v1/accounts/{username}",
                      "/api/v1/events", "/api/v1/progress",
                      "/api/v1/posters/{request_id}", "/webhook/overseerr"]:
            self.assertIn(route, paths)
        schemes = doc["components"]["securitySchemes"]
        self.assertEqual(schemes["session"]["in"], "cookie")
        self.assertEqual(schemes["csrf"]["name"], "X-CSRF-Token")
        self.assertEqual(schemes["token"]["scheme"], "bearer")
        # Every $ref resolves.
        for ref in re.findall(r'"\$ref": "#/components/schemas/([A-Za-z]+)"',
                              raw.decode()):
            self.assertIn(ref, doc["components"]["schemas"])
        status, _ = http("GET", self.base + "/api/v1/openapi.json")
        self.assertEqual(status, 401)

    def test_swagger_ui_renders_under_the_csp(self):
        node = shutil.which("node")
        chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
        driver = os.path.join(SOURCE, "node_modules", "puppeteer-core")
        vendor = os.path.join(SOURCE, "web", "vendor",
                              "swagger-ui-bundle.js")
        if not (node and os.path.exists(chromium) and os.path.isdir(driver)
                and os.path.exists(vendor)):
            self.skipTest("needs node, chromium and ./deploy/web-vendor.sh")
        req = urllib.request.Request(
            self.base + "/api/v1/login", method="POST",
            headers={"Content-Type": "application/json"},
            data=json.dumps({"username": "admin",
                             "password": self.admin_password()}).encode())
        with urllib.request.urlopen(req, timeout=10) as resp:
            cookie = resp.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
        # Kept under the build directory when ctest runs it.
        artifacts = os.environ.get("PS_ARTIFACTS", self.stack.dir)
        os.makedirs(artifacts, exist_ok=True)
        shot = os.path.join(artifacts, "docs-1280.png")
        out = subprocess.run(
            [node, os.path.join(os.path.dirname(__file__), "docs_check.js"),
             self.base, cookie, shot],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        result = json.loads(out.stdout)
        _, doc = self.stack.gw("GET", "/api/v1/openapi.json")
        operations = sum(len(p) for p in doc["paths"].values())
        self.assertEqual(result["violations"], [])
        self.assertEqual(result["errors"], [])
        self.assertEqual(result["operations"], operations, result)
        self.assertIn("PlexStaffAI", result["title"])
        self.assertEqual(result["try_status"], "200", result)
        status, _, headers = self.raw("/docs")
        self.assertEqual(status, 200)
        self.assertNotIn("unsafe", headers["Content-Security-Policy"])

    def admin_password(self):
        with open(os.path.join(self.stack.dir, "data",
                               "admin-password.txt")) as f:
            return f.read().split("password: ")[1].strip()


if __name__ == "__main__":
    unittest.main(verbosity=2)
