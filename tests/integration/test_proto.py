"""The prototype's routes and its /config, on a live stack.

The data directory starts with a prototype moderation.db (built from the
schema in contracts/prototype.md) and a prototype feedback.db: the gateway
must import the first and serve its open reviews, the learner must start
beside the second, and both originals must stay as they were. Then every
prototype route is checked for its shape, who may call it (401 JSON for
scripts without a token, 403 for a viewer's write, CSRF for a browser
session), no state change on GET, and a review approved through
/staff/review/{id}/approve showing approved in the Overseerr simulator.
"""
import hashlib
import http.cookiejar
import json
import os
import sqlite3
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from stack import WEBHOOK_SECRET, Stack, wait_for  # noqa: E402

BINDIR = os.environ.get("PS_BINDIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin"))

# Simulator requests 101.. are pending in Overseerr: the prototype left
# 101 and 102 in its review queue, approved 103 and rejected 104.
REVIEW_TITLE = 'L\'"Exorciste" <b>2</b>'
PROTOTYPE_SCHEMA = """
CREATE TABLE decisions (id INTEGER PRIMARY KEY, request_id INTEGER,
  title TEXT, username TEXT, media_type TEXT, decision TEXT, reason TEXT,
  confidence REAL, rule_matched TEXT, request_data JSON,
  timestamp DATETIME);
CREATE TABLE pending_reviews (id INTEGER PRIMARY KEY,
  request_id INTEGER UNIQUE, title TEXT, username TEXT, media_type TEXT,
  request_data JSON, ai_decision TEXT, ai_reason TEXT, ai_confidence REAL,
  status TEXT, created_at DATETIME);
"""
FEEDBACK_SCHEMA = """
CREATE TABLE human_feedback (id INTEGER PRIMARY KEY, request_id INTEGER,
  ai_decision TEXT, ai_confidence REAL, ai_reason TEXT, human_decision TEXT,
  human_reason TEXT, staff_username TEXT, request_data JSON,
  timestamp DATETIME, learning_applied BOOLEAN);
CREATE TABLE learned_patterns (id INTEGER PRIMARY KEY, genre TEXT,
  weight REAL);
CREATE TABLE user_stats (id INTEGER PRIMARY KEY, username TEXT);
"""


def request_data(title, genres, user="alice"):
    return json.dumps({"title": title, "media_type": "movie",
                       "requested_by": user, "user_id": 3,
                       "genres": genres, "rating": 6.1, "popularity": 12.5,
                       "year": 2021, "overview": "x", "status": "Released"})


def write_prototype(data_dir):
    os.makedirs(data_dir, exist_ok=True)
    db = sqlite3.connect(os.path.join(data_dir, "moderation.db"))
    db.executescript(PROTOTYPE_SCHEMA)
    rows = [
        (101, REVIEW_TITLE, "chloé", "NEEDS_REVIEW", "Horreur: à vérifier",
         0.55, "openai", request_data(REVIEW_TITLE, ["Horreur", "Comédie"],
                                      "chloé"), "2024-02-01T09:15:00"),
        (103, "Coco", "bob", "NEEDS_REVIEW", "unsure", 0.5, "openai",
         request_data("Coco", ["Animation"]), "2024-02-02 10:00:00"),
        (103, "Coco", "bob", "APPROVED", "family film", 1.0, "manual_staff",
         None, "2024-02-02T12:00:00.250000"),
        (104, "Saw", "dan", "REJECTED", "blocked genre", 0.95,
         "blocked_genre", request_data("Saw", ["Horreur"]),
         "2024-02-03 08:00:00"),
    ]
    db.executemany(
        "INSERT INTO decisions (request_id, title, username, media_type,"
        " decision, reason, confidence, rule_matched, request_data,"
        " timestamp) VALUES (?, ?, ?, 'movie', ?, ?, ?, ?, ?, ?)", rows)
    db.executemany(
        "INSERT INTO pending_reviews (request_id, title, username,"
        " media_type, request_data, ai_decision, ai_reason, ai_confidence,"
        " status, created_at) VALUES (?, ?, ?, 'movie', ?, 'NEEDS_REVIEW',"
        " ?, ?, ?, ?)",
        [(101, REVIEW_TITLE, "chloé", None, "Horreur: à vérifier", 0.55,
          "pending", "2024-02-01T09:15:00"),
         (102, "Nouvelle Vague", "gus",
          request_data("Nouvelle Vague", ["Drame"], "gus"), "Série à venir",
          0.7, "pending", "2024-02-03 07:00:00"),
         (103, "Coco", "bob", None, "unsure", 0.5, "approved",
          "2024-02-02 10:00:00")])
    db.commit()
    db.close()
    fb = sqlite3.connect(os.path.join(data_dir, "feedback.db"))
    fb.executescript(FEEDBACK_SCHEMA)
    fb.execute("INSERT INTO human_feedback (request_id, human_decision,"
               " staff_username) VALUES (103, 'APPROVED', 'staffer')")
    fb.commit()
    fb.close()
    return len(rows)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """A caller without redirects: anonymous, a token or a session."""

    def __init__(self, base, token=None):
        self.base = base
        self.token = token
        self.csrf = None
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            NoRedirect)

    def call(self, method, path, body=None, csrf=True):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method)
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        if self.csrf and csrf:
            req.add_header("X-CSRF-Token", self.csrf)
        try:
            with self.opener.open(req, timeout=15) as resp:
                status, raw, headers = resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as err:
            status, raw, headers = err.code, err.read(), err.headers
        try:
            return status, json.loads(raw), headers
        except ValueError:
            return status, raw.decode(errors="replace"), headers


class PrototypeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(BINDIR, requests=12)
        cls.data = os.path.join(cls.stack.dir, "data")
        cls.imported_decisions = write_prototype(cls.data)
        cls.moderation_digest = digest(os.path.join(cls.data,
                                                    "moderation.db"))
        cls.feedback_digest = digest(os.path.join(cls.data, "feedback.db"))
        cls.stack.start()
        cls.base = f"http://127.0.0.1:{cls.stack.gateway_port}"
        cls.admin = Client(cls.base, cls.stack.api_token)
        cls.tokens = {}
        for role in ("viewer", "staff"):
            status, body, _ = cls.admin.call(
                "POST", "/api/v1/tokens", {"name": "it-" + role, "role": role})
            assert status == 201, body
            cls.tokens[role] = body["token"]
        cls.staff = Client(cls.base, cls.tokens["staff"])
        cls.viewer = Client(cls.base, cls.tokens["viewer"])
        wait_for(cls.settled, 60, "the pipeline to settle")

    @classmethod
    def settled(cls):
        """Every request pending in the simulator is in review here, but
        103 and 104, which the prototype decided (and never applied)."""
        reviews = cls.stack.review_ids()
        return all(r["status"] != 1 or r["id"] in reviews
                   or r["id"] in (103, 104)
                   for r in cls.stack.sim_state()["requests"])

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()
        cls.stack.cleanup()

    def sim_status(self, request_id):
        for req in self.stack.sim_state()["requests"]:
            if req["id"] == request_id:
                return req["status"]
        raise AssertionError(f"request {request_id} not in the simulator")

    # -- the import ------------------------------------------------------
    def test_originals_kept_aside_unchanged(self):
        self.assertEqual(
            digest(os.path.join(self.data, "moderation.prototype.db")),
            self.moderation_digest)
        self.assertEqual(
            digest(os.path.join(self.data, "feedback.prototype.db")),
            self.feedback_digest)
        log = self.stack.log_text("api-gateway")
        self.assertIn("imported the prototype's moderation.db decisions="
                      f"{self.imported_decisions} ", log)
        self.assertNotIn("chloé", log)

    def test_imported_reviews_in_the_queue(self):
        status, body, _ = self.staff.call("GET", "/staff/reviews")
        self.assertEqual(status, 200, body)
        reviews = {r["id"]: r for r in body["reviews"]}
        self.assertIn(101, reviews)
        self.assertIn(102, reviews)
        review = reviews[101]
        self.assertEqual(set(review), {
            "id", "request_id", "title", "username", "media_type",
            "request_data", "ai_reason", "ai_confidence", "created_at"})
        self.assertEqual(review["request_id"], 101)
        self.assertEqual(review["title"], REVIEW_TITLE)
        self.assertEqual(review["username"], "chloé")
        self.assertEqual(review["ai_reason"], "Horreur: à vérifier")
        self.assertAlmostEqual(review["ai_confidence"], 0.55)
        self.assertEqual(review["created_at"], "2024-02-01T09:15:00.000Z")
        self.assertEqual(review["request_data"]["genres"],
                         ["Horreur", "Comédie"])
        self.assertEqual(review["request_data"]["requested_by"], "chloé")
        self.assertEqual(review["request_data"]["year"], 2021)
        self.assertLessEqual(len(body["reviews"]), 50)
        # Newest first.
        times = [r["created_at"] for r in body["reviews"]]
        self.assertEqual(times, sorted(times, reverse=True))

    def test_imported_staff_decision_is_history(self):
        status, body, _ = self.admin.call("GET", "/api/v1/requests/103")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["state"], "applied")
        self.assertEqual(body["outcome"], "approve")
        self.assertEqual([d["source"] for d in body["decisions"]],
                         ["ai", "staff"])

    # -- who may call what -----------------------------------------------
    def test_auth(self):
        anonymous = Client(self.base)
        reads = ["/stats", "/staff/reviews", "/staff/pending-count",
                 "/staff/ml-stats"]
        writes = ["/moderate", "/staff/moderate", "/admin/moderate-now",
                  "/staff/review/102/approve", "/staff/review/102/reject"]
        for path in reads:
            status, body, _ = anonymous.call("GET", path)
            self.assertEqual(status, 401, path)
            self.assertEqual(body, {"error": "login required"}, path)
            self.assertEqual(self.viewer.call("GET", path)[0], 200, path)
        for path in writes:
            status, _, _ = anonymous.call("POST", path, {})
            self.assertEqual(status, 401, path)
            status, body, _ = self.viewer.call("POST", path, {})
            self.assertEqual(status, 403, path)
            self.assertEqual(body["needs"], "staff")
        # The pages send browsers to the login page.
        status, _, headers = anonymous.call("GET", "/history")
        self.assertEqual(status, 302)
        self.assertEqual(headers["Location"], "/login.html")
        self.assertEqual(self.sim_status(102), 1)

    def test_browser_session_needs_csrf(self):
        with open(os.path.join(self.data, "admin-password.txt")) as f:
            password = f.read().split("password: ")[1].strip()
        session = Client(self.base)
        status, body, _ = session.call(
            "POST", "/api/v1/login", {"username": "admin",
                                      "password": password})
        self.assertEqual(status, 200, body)
        session.csrf = body["csrf"]
        status, body, _ = session.call("POST", "/staff/moderate", {},
                                       csrf=False)
        self.assertEqual(status, 403)
        self.assertIn("CSRF", body["error"])
        self.assertEqual(session.call("POST", "/staff/moderate", {})[0], 202)

    # -- shapes ----------------------------------------------------------
    def test_stats(self):
        status, body, _ = self.viewer.call("GET", "/stats")
        self.assertEqual(status, 200, body)
        self.assertEqual(set(body), {
            "total_decisions", "approved", "rejected", "needs_review",
            "approval_rate", "last_24h", "openai_enabled"})
        self.assertEqual(body["total_decisions"],
                         body["approved"] + body["rejected"]
                         + body["needs_review"])
        self.assertGreaterEqual(body["total_decisions"],
                                self.imported_decisions)
        self.assertEqual(set(body["last_24h"]),
                         {"APPROVED", "REJECTED", "NEEDS_REVIEW"})
        self.assertEqual(round(body["approval_rate"], 1),
                         body["approval_rate"])
        self.assertAlmostEqual(
            body["approval_rate"],
            100.0 * body["approved"] / body["total_decisions"], delta=0.05)
        self.assertIs(body["openai_enabled"], True)

    def test_pending_count_and_ml_stats(self):
        status, body, _ = self.viewer.call("GET", "/staff/pending-count")
        self.assertEqual(status, 200)
        _, reviews, _ = self.viewer.call("GET", "/staff/reviews")
        self.assertEqual(set(body), {"count"})
        self.assertEqual(body["count"], len(reviews["reviews"]))
        status, body, _ = self.viewer.call("GET", "/staff/ml-stats")
        self.assertEqual(status, 200)
        self.assertEqual(set(body), {"total_feedback", "unlearned",
                                     "patterns_learned",
                                     "learning_threshold"})
        self.assertGreaterEqual(body["total_feedback"], 1)  # 103's staff row
        self.assertIsInstance(body["learning_threshold"], int)

    def test_scan_triggers(self):
        for path in ("/moderate", "/staff/moderate", "/admin/moderate-now"):
            status, body, _ = self.staff.call("POST", path, {})
            self.assertEqual(status, 202, (path, body))
            self.assertEqual(set(body), {"message", "approved", "rejected",
                                         "needs_review", "progress"})
            self.assertEqual(body["progress"], "/api/v1/health")
            self.assertGreaterEqual(body["approved"], 1)

    def test_get_never_changes_state(self):
        for path in ("/staff/moderate", "/moderate", "/admin/moderate-now"):
            status, body, _ = self.staff.call("GET", path)
            self.assertEqual(status, 405, path)
            self.assertIn("POST " + path, body["detail"])
        status, _, _ = self.staff.call("GET", "/staff/review/102/approve")
        self.assertEqual(status, 405)
        self.assertEqual(self.sim_status(102), 1)

    def test_pages_are_aliases(self):
        for path, location in (("/history", "/history.html"),
                               ("/review-dashboard", "/index.html#reviews"),
                               ("/health", "/health.html"),
                               ("/staff/report", "/report.html")):
            status, _, headers = self.viewer.call("GET", path)
            self.assertEqual(status, 302, path)
            self.assertEqual(headers["Location"], location)
        self.assertEqual(self.viewer.call("GET", "/staff/openai-stats")[0],
                         200)

    def test_review_decisions(self):
        # Overseerr failing: 502, nothing approved, the review stays open.
        self.stack.sim("POST", "/sim/fail", {"status": 500, "count": 50})
        try:
            status, body, _ = self.staff.call(
                "POST", "/staff/review/102/approve", {})
        finally:
            self.stack.sim("POST", "/sim/fail", {"status": 500, "count": 0})
        self.assertEqual(status, 502, body)
        self.assertIs(body["success"], False)
        self.assertIn("Overseerr", body["error"])
        self.assertEqual(self.sim_status(102), 1)
        _, reviews, _ = self.staff.call("GET", "/staff/reviews")
        self.assertIn(102, {r["id"] for r in reviews["reviews"]})

        status, body, _ = self.staff.call(
            "POST", "/staff/review/101/approve", {"reason": "fine"})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["success"], True)
        self.assertEqual(body["message"], "Approved: " + REVIEW_TITLE)
        self.assertEqual(body["request_id"], 101)
        self.assertEqual(self.sim_status(101), 2)
        status, body, _ = self.staff.call("POST",
                                          "/staff/review/101/approve")
        self.assertEqual(status, 404)
        self.assertEqual(body, {"success": False, "error":
                                "Review not found or already processed"})

        status, body, _ = self.staff.call("POST", "/staff/review/102/reject")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["message"], "Rejected: Nouvelle Vague")
        self.assertEqual(self.sim_status(102), 3)
        _, reviews, _ = self.staff.call("GET", "/staff/reviews")
        self.assertFalse({101, 102} & {r["id"] for r in reviews["reviews"]})

        status, body, _ = self.staff.call(
            "POST", "/staff/review/999999/reject", {"reason": "x"})
        self.assertEqual(status, 404)
        self.assertIs(body["success"], False)
        status, body, _ = self.staff.call(
            "POST", "/staff/review/103/approve", {"reason": 5})
        self.assertEqual(status, 400)

    def test_webhook_shapes(self):
        anonymous = Client(self.base)
        status, body, _ = anonymous.call("POST", "/webhook/overseerr",
                                         {"notification_type":
                                          "MEDIA_PENDING"})
        self.assertEqual((status, body), (401, {"detail": "Unauthorized"}))
        hook = Client(self.base, WEBHOOK_SECRET)
        status, body, _ = hook.call("POST", "/webhook/overseerr",
                                    {"notification_type": "MEDIA_PENDING"})
        self.assertEqual(body, {"status": "ignored",
                                "reason": "no request_id"})
        status, body, _ = hook.call(
            "POST", "/webhook/overseerr",
            {"notification_type": "MEDIA_PENDING",
             "request": {"request_id": "104"}})
        self.assertEqual(body, {"status": "skipped", "request_id": 104,
                                "reason": "already_processed"})


if __name__ == "__main__":
    unittest.main(verbosity=2)
