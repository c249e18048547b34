"""The ai-judge against the real LLM simulator and a real stack.

What a self-hoster would check: rate limits are honoured (the retry comes
no sooner than Retry-After), a failing or hanging server ends in review
with the reason after a bounded number of calls, a malformed or truncated
answer ends in review with a clear reason, the gateway's token and cost
figures match what the server counted, three judges share 200 requests
(each judged once, many calls in flight), and an identical request reuses
the verdict instead of paying for a second call.
"""
import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from stack import Stack, wait_for  # noqa: E402

BINDIR = os.environ.get("PS_BINDIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin"))

RULES = ["restricted_user", "adult_content", "certification_blocked",
         "blocked_genre", "blocked_keyword", "language_blocked",
         "quota_weekly", "quota_overseerr", "trusted_user", "time_window",
         "upcoming_unrated", "unrated", "certification_review",
         "keyword_review", "approve_rating", "allowed_genre",
         "rating_below_min", "popularity_below_min", "language_not_allowed",
         "year_out_of_range", "runtime_above_max", "seasons_above_max",
         "episodes_above_max", "series_ongoing", "series_ended", "request_4k"]

# Rules that decide nothing: every request goes to the AI judge.
NO_RULES = "  upcoming_review: false\n  mode:\n" + "".join(
    f"    {name}: off\n" for name in RULES)

GPT_4O_MINI = (0.15, 0.60)  # USD per 1M input / output tokens


def decisions(stack, request_id):
    status, doc = stack.gw("GET", f"/api/v1/requests/{request_id}")
    if status != 200:
        return None
    return doc


def wait_decided(stack, request_id, count=1, timeout=60):
    def done():
        doc = decisions(stack, request_id)
        if doc and len(doc.get("decisions", [])) >= count:
            return doc
        return None
    try:
        return wait_for(done, timeout, f"request {request_id} decided")
    except AssertionError:
        print(stack.log_tail(), file=sys.stderr)
        raise


def calls_for(stack, title):
    _, stats = stack.llm("GET", "/sim/stats")
    # The simulator logs the prompt's title line: "Title (year)".
    return [c for c in stats["calls_log"]
            if c["title"] == title or c["title"].startswith(title + " (")]


def params(decision):
    raw = decision.get("params") or decision.get("params_json") or []
    if isinstance(raw, str):
        import json
        raw = json.loads(raw)
    if isinstance(raw, dict):
        return raw
    return dict(zip(raw[0::2], raw[1::2]))


class JudgeFaultsTest(unittest.TestCase):
    """One judge, requests created one at a time through the Overseerr
    simulator's webhook, faults scripted with the LLM simulator's *_next
    counters. Tests run in name order and build on each other's state."""

    @classmethod
    def setUpClass(cls):
        # observe_only keeps every request pending in Overseerr, so a
        # decided one can be re-judged.
        cls.stack = Stack(BINDIR, requests=1, rules=NO_RULES,
                          ai_timeout_ms=1500,
                          ai_extra="  breaker_failures: 20\n",
                          extra_config="observe_only: true\n").start()

    @classmethod
    def tearDownClass(cls):
        codes = cls.stack.stop()
        failed = {n: c for n, c in codes.items() if c not in (0, -15)}
        cls.stack.cleanup(keep=bool(failed))
        if failed:
            raise AssertionError(f"services exited badly: {failed}")

    def new_request(self):
        status, body = self.stack.sim("POST", "/sim/requests", {"count": 1})
        self.assertEqual(status, 200, body)
        return body["ids"][0]

    def test_1_same_request_twice_one_call(self):
        # The backlog's one request, then a staff re-judge of it: the
        # verdict is reused from the cache, the LLM is called once.
        state = wait_for(lambda: self.stack.sim_state()["requests"], 20,
                         "the simulator's request")
        request_id = state[0]["id"]
        doc = wait_decided(self.stack, request_id)
        title = doc["title"]
        self.assertEqual(len(calls_for(self.stack, title)), 1)
        status, body = self.stack.gw(
            "POST", f"/api/v1/requests/{request_id}/rejudge")
        self.assertIn(status, (200, 202), body)
        doc = wait_decided(self.stack, request_id, count=2)
        second = doc["decisions"][-1]
        self.assertEqual(second["source"], "ai")
        self.assertEqual(params(second).get("cached"), "true", second)
        self.assertEqual(second["ai_score"], doc["decisions"][0]["ai_score"])
        self.assertEqual(len(calls_for(self.stack, title)), 1)

    def test_2_429_retry_after_honoured(self):
        status, _ = self.stack.llm("POST", "/sim/config",
                                   {"fail_429_next": 1, "retry_after": 2})
        self.assertEqual(status, 200)
        request_id = self.new_request()
        doc = wait_decided(self.stack, request_id)
        calls = calls_for(self.stack, doc["title"])
        self.assertEqual([c["status"] for c in calls], [429, 200], calls)
        gap = calls[1]["at_ms"] - calls[0]["at_ms"]
        self.assertGreaterEqual(gap, 2000, calls)
        self.assertEqual(doc["decisions"][-1]["message_id"], "ai_verdict")
        print(f"\n  429 then 200, {gap} ms apart (Retry-After: 2)",
              file=sys.stderr)

    def test_3_500s_retry_then_review(self):
        self.stack.llm("POST", "/sim/config", {"fail_500_next": 50})
        try:
            request_id = self.new_request()
            doc = wait_decided(self.stack, request_id)
        finally:
            self.stack.llm("POST", "/sim/config", {"fail_500_next": 0})
        calls = calls_for(self.stack, doc["title"])
        self.assertEqual([c["status"] for c in calls], [500, 500, 500])
        decision = doc["decisions"][-1]
        self.assertEqual(doc["state"], "in_review")
        self.assertEqual(decision["outcome"], "review")
        self.assertIsNone(decision["score"])
        self.assertIn("HTTP 500", decision["explanation"])
        self.assertIn("gave up after 3 attempts", decision["explanation"])

    def test_4_timeouts_retry_then_review(self):
        _, before = self.stack.llm("GET", "/sim/stats")
        self.stack.llm("POST", "/sim/config", {"timeout_next": 3})
        request_id = self.new_request()
        doc = wait_decided(self.stack, request_id, timeout=60)
        _, after = self.stack.llm("GET", "/sim/stats")
        # Hung calls are logged only when they end; count them instead.
        self.assertEqual(after["calls"] - before["calls"], 3)
        decision = doc["decisions"][-1]
        self.assertEqual(decision["outcome"], "review")
        self.assertIsNone(decision["score"])
        self.assertIn("timeout after 1500 ms", decision["explanation"])
        self.assertIn("gave up after 3 attempts", decision["explanation"])

    def test_5_malformed_and_truncated_review(self):
        for knob, words in (("malformed_next", "verdict is not JSON"),
                            ("truncated_next", "truncated")):
            self.stack.llm("POST", "/sim/config", {knob: 1})
            request_id = self.new_request()
            doc = wait_decided(self.stack, request_id)
            calls = calls_for(self.stack, doc["title"])
            self.assertEqual([c["status"] for c in calls], [200], knob)
            decision = doc["decisions"][-1]
            self.assertEqual(decision["outcome"], "review", knob)
            self.assertIsNone(decision["score"])
            self.assertEqual(decision["message_id"], "ai_failed")
            self.assertIn(words, decision["explanation"])

    def test_6_tokens_and_cost_match_the_server(self):
        def same():
            _, llm = self.stack.llm("GET", "/sim/stats")
            _, stats = self.stack.gw("GET", "/api/v1/stats")
            ai = stats["ai"]
            if (ai["prompt_tokens"] == llm["prompt_tokens"]
                    and ai["completion_tokens"] == llm["completion_tokens"]
                    and ai["calls"] == llm["calls"]):
                return llm, ai
            return None
        llm, ai = wait_for(same, 10, "the gateway's usage to match")
        self.assertGreater(llm["prompt_tokens"], 0)
        cost = (llm["prompt_tokens"] * GPT_4O_MINI[0]
                + llm["completion_tokens"] * GPT_4O_MINI[1]) / 1e6
        self.assertAlmostEqual(ai["cost_usd"], cost, places=9)
        per_call = llm["prompt_tokens"] / max(1, llm["by_status"].get(
            "200", 1))
        self.assertLess(per_call, 350)
        print(f"\n  {llm['calls']} calls, {llm['prompt_tokens']} prompt + "
              f"{llm['completion_tokens']} completion tokens, "
              f"${ai['cost_usd']:.6f}; ~{per_call:.0f} prompt tokens per "
              "answered call", file=sys.stderr)


class ThreeJudgesTest(unittest.TestCase):
    def test_200_requests_three_judges(self):
        stack = Stack(BINDIR, requests=200, judges=3, llm_latency_ms=300,
                      rules=NO_RULES,
                      ai_extra="  concurrency: 8\n  cache_ttl: 0\n")
        started = time.time()
        stack.start()
        try:
            try:
                state, reviews = wait_for(stack.settled, 120,
                                          "200 requests judged", 0.25)
            except AssertionError:
                print(stack.log_tail(), file=sys.stderr)
                raise
            took = time.time() - started
            _, llm = stack.llm("GET", "/sim/stats")
            _, stats = stack.gw("GET", "/api/v1/stats")
            self.assertEqual(llm["calls"], 200)
            self.assertEqual(sum(stats["outcomes"].values()), 200)
            self.assertEqual(stats["sources"], {"ai": 200})
            self.assertGreaterEqual(llm["max_in_flight"], 20)
            shares = {}
            for i in range(3):
                name = f"ai-judge-{i}"
                self.assertEqual(stack.kill(name, signal.SIGTERM), 0)
                text = stack.log_text(name)
                found = re.findall(r"stopping decided=(\d+) llm_calls=(\d+)",
                                   text)
                self.assertTrue(found, text[-2000:])
                shares[name] = (int(found[-1][0]), int(found[-1][1]))
            self.assertEqual(sum(d for d, _ in shares.values()), 200)
            self.assertEqual(sum(c for _, c in shares.values()), 200)
            for name, (decided, _) in shares.items():
                self.assertGreater(decided, 20, shares)
            # Every request has exactly one decision.
            for req in state["requests"][:20]:
                _, doc = stack.gw("GET", f"/api/v1/requests/{req['id']}")
                self.assertEqual(len(doc["decisions"]), 1, doc)
            print(f"\n  200 requests, 3 judges: {took:.1f} s from start to "
                  f"settled, max_in_flight {llm['max_in_flight']}, shares "
                  f"{ {n: d for n, (d, _) in shares.items()} }",
                  file=sys.stderr)
        finally:
            stack.stop()
            stack.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
