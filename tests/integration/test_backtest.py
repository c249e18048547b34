"""Backtest end to end: a running stack records decisions, then a draft
that raises min_rating is replayed by `plexstaffai backtest` and the
gateway's /api/v1/backtest. The flips must be exactly the recorded
decisions the raised minimum catches, computed here from the recorded
inputs, and a draft with a mistake is refused with its file:line:col.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from stack import Stack, wait_for  # noqa: E402

BINDIR = os.environ.get("PS_BINDIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin"))

DRAFT = """rules:
  min_rating: 7.5
  approve_rating: 8.0
  allowed_genres: [Documentary, Animation]
  blocked_genres: [Horror]
"""


def expected_flips(stack, decisions):
    """Ids whose recorded pipeline outcome the raised minimum changes: a
    rated title below 7.5 that no earlier rule of the draft decides, and
    that was not declined already."""
    flips = set()
    for d in decisions:
        if d["source"] == "staff":
            continue
        _, doc = stack.gw("GET", f"/api/v1/requests/{d['request_id']}")
        first = next(x for x in doc["decisions"] if x["source"] != "staff")
        inputs = first["inputs"]
        genres = {g.lower() for g in inputs.get("genres", [])}
        if genres & {"documentary", "animation", "horror"}:
            continue
        if inputs.get("votes", 0) <= 0 or inputs.get("rating", 0) >= 7.5:
            continue
        if first["rule"] in ("upcoming_unrated",):
            continue
        if first["outcome"] != "decline":
            flips.add(d["request_id"])
    return flips


class BacktestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(BINDIR, requests=80).start()
        wait_for(cls.stack.settled, 90, "the backlog to settle", 0.5)
        cls.gateway = f"http://127.0.0.1:{cls.stack.gateway_port}"

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()
        cls.stack.cleanup()

    def run_cli(self, text, last=1000):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml",
                                         delete=False) as f:
            f.write(text)
            path = f.name
        try:
            env = dict(os.environ,
                       PLEXSTAFFAI_API_TOKEN=self.stack.api_token)
            return path, subprocess.run(
                [os.path.join(BINDIR, "plexstaffai"), "backtest", "--config",
                 path, "--last", str(last), "--gateway", self.gateway],
                capture_output=True, text=True, timeout=60, env=env)
        finally:
            os.unlink(path)

    def test_raised_min_rating_flips_exactly_the_expected(self):
        status, body = self.stack.gw("GET", "/api/v1/decisions?limit=1000")
        self.assertEqual(status, 200)
        expected = expected_flips(self.stack, body["decisions"])
        self.assertGreater(len(expected), 0)
        req = urllib.request.Request(
            self.gateway + "/api/v1/backtest?last=1000",
            data=DRAFT.encode(), method="POST",
            headers={"Authorization": "Bearer " + self.stack.api_token})
        with urllib.request.urlopen(req, timeout=30) as resp:
            report = json.loads(resp.read())
        self.assertEqual(report["total"], 80)
        changed = {c["request_id"] for c in report["changes"]}
        self.assertEqual(changed, expected)
        self.assertEqual(report["by_rule"]["rating_below_min"]["flips"],
                         len(expected))
        for c in report["changes"]:
            self.assertEqual(c["after"], "decline")
            self.assertEqual(c["after_rule"], "rating_below_min")

        _, result = self.run_cli(DRAFT)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"replayed 80, would change {len(expected)}",
                      result.stdout)
        self.assertIn("rating_below_min", result.stdout)

    def test_draft_with_a_mistake_is_refused_with_its_position(self):
        path, result = self.run_cli("rules:\n  min_ratin: 7.5\n")
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"{path}:2:3: rules.min_ratin: unknown key "
                      "`min_ratin`, did you mean `min_rating`?",
                      result.stderr)
        status, body = self.stack.gw(
            "POST", "/api/v1/backtest", headers={}, body=None)
        self.assertEqual(status, 400)

    def test_gateway_down_is_a_clear_error(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write(DRAFT)
            f.flush()
            result = subprocess.run(
                [os.path.join(BINDIR, "plexstaffai"), "backtest", "--config",
                 f.name, "--gateway", "http://127.0.0.1:9"],
                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 3)
        self.assertIn("cannot reach the gateway", result.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
