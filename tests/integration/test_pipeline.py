"""End-to-end: six services and both simulators on loopback.

Asserts what a server owner would notice: every pending request ends in
exactly one state (approved or declined in Overseerr, or waiting in the
review queue); nothing is approved or declined twice; a second scan costs
no LLM call and no Overseerr action; a webhook gets a new request decided;
killing the gateway mid-run loses nothing.
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from stack import Stack, wait_for  # noqa: E402

BINDIR = os.environ.get("PS_BINDIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin"))


def assert_each_request_once(test, state, reviews):
    for req in state["requests"]:
        calls = req["approve_calls"] + req["decline_calls"]
        test.assertLessEqual(calls, 1, f"request {req['id']} acted on twice")
        if req["status"] in (2, 3):
            test.assertEqual(calls, 1, f"request {req['id']} decided "
                             "without exactly one call from us")
            test.assertNotIn(req["id"], reviews)
        else:
            test.assertEqual(req["status"], 1)
            test.assertIn(req["id"], reviews)
            test.assertEqual(calls, 0)


class PipelineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(BINDIR, requests=300).start()

    @classmethod
    def tearDownClass(cls):
        codes = cls.stack.stop()
        failed = {n: c for n, c in codes.items() if c not in (0, -15)}
        cls.stack.cleanup(keep=bool(failed))
        if failed:
            raise AssertionError(f"services exited badly: {failed}")

    def settle(self, timeout=120):
        try:
            return wait_for(self.stack.settled, timeout,
                            "every request to be decided or reviewed", 0.5)
        except AssertionError:
            print(self.stack.log_tail(), file=sys.stderr)
            raise

    def test_1_backlog_each_request_once(self):
        state, reviews = self.settle()
        self.assertEqual(len(state["requests"]), 300)
        assert_each_request_once(self, state, reviews)
        decided = sum(1 for r in state["requests"] if r["status"] in (2, 3))
        self.assertGreater(decided, 0)
        self.assertGreater(len(reviews), 0)
        # Every request got exactly one pipeline decision at the gateway.
        _, stats = self.stack.gw("GET", "/api/v1/stats")
        outcomes = stats["outcomes"]
        self.assertEqual(sum(outcomes.values()), 300, outcomes)
        # The LLM saw each AI-judged request exactly once.
        _, llm = self.stack.llm("GET", "/sim/stats")
        ai_judged = stats["sources"].get("ai", 0)
        self.assertEqual(llm["calls"], ai_judged)
        self.assertEqual(stats["ai"]["calls"], llm["calls"])
        self.assertEqual(stats["ai"]["prompt_tokens"], llm["prompt_tokens"])
        print(f"\n  300 requests: {decided} applied in Overseerr, "
              f"{len(reviews)} in review, sources {stats['sources']}, "
              f"{llm['calls']} LLM calls", file=sys.stderr)

    def test_2_second_scan_costs_nothing(self):
        self.settle()
        time.sleep(2)  # let the webhook echoes of our own actions arrive
        before_llm = self.stack.llm("GET", "/sim/stats")[1]["calls"]
        before = self.stack.sim_state()["totals"]
        _, health = self.stack.gw("GET", "/api/v1/health")
        last_scan = health["scan"]["at"]
        status, body = self.stack.gw("POST", "/api/v1/scan")
        self.assertEqual(status, 202, body)

        def scan_finished():
            _, h = self.stack.gw("GET", "/api/v1/health")
            return h["scan"]["at"] > last_scan and not h["scan"]["running"]
        wait_for(scan_finished, 30, "the second scan to finish")
        time.sleep(2)
        after = self.stack.sim_state()["totals"]
        self.assertEqual(self.stack.llm("GET", "/sim/stats")[1]["calls"],
                         before_llm)
        self.assertEqual(after["approve_calls"], before["approve_calls"])
        self.assertEqual(after["decline_calls"], before["decline_calls"])

    def test_3_webhook_gets_new_request_decided(self):
        self.settle()
        status, body = self.stack.sim("POST", "/sim/requests", {"count": 3})
        self.assertEqual(status, 200, body)
        new_ids = set(body["ids"])

        def decided():
            state = self.stack.sim_state()
            reviews = self.stack.review_ids()
            done = {r["id"] for r in state["requests"]
                    if r["id"] in new_ids
                    and (r["status"] != 1 or r["id"] in reviews)}
            return done == new_ids
        wait_for(decided, 15, "the webhook's requests to be decided")
        state, reviews = self.settle()
        assert_each_request_once(self, state, reviews)

    def test_4_review_approved_by_staff(self):
        _, reviews = self.settle()
        request_id = sorted(reviews)[0]
        status, body = self.stack.gw(
            "POST", f"/api/v1/reviews/{request_id}/approve",
            {"reason": "family favourite"})
        self.assertEqual(status, 200, body)
        state = self.stack.sim_state()
        req = next(r for r in state["requests"] if r["id"] == request_id)
        self.assertEqual(req["status"], 2)
        self.assertEqual(req["approve_calls"], 1)
        self.assertNotIn(request_id, self.stack.review_ids())
        # A second click finds nothing to do and calls Overseerr no more.
        status, _ = self.stack.gw(
            "POST", f"/api/v1/reviews/{request_id}/approve")
        self.assertEqual(status, 404)
        state = self.stack.sim_state()
        req = next(r for r in state["requests"] if r["id"] == request_id)
        self.assertEqual(req["approve_calls"], 1)

    def test_5_review_decided_in_overseerr_closes(self):
        _, reviews = self.settle()
        request_id = sorted(reviews)[-1]
        status, body = self.stack.sim(
            "POST", f"/sim/requests/{request_id}/status",
            {"status": 3, "webhook": True})
        self.assertEqual(status, 200, body)
        wait_for(lambda: request_id not in self.stack.review_ids(), 10,
                 "the review decided in Overseerr to close")
        _, doc = self.stack.gw("GET", f"/api/v1/requests/{request_id}")
        self.assertEqual(doc["state"], "decided_elsewhere")


class GatewayRestartTest(unittest.TestCase):
    def test_killing_the_gateway_loses_nothing(self):
        stack = Stack(BINDIR, requests=200, llm_latency_ms=30,
                      lease="5s").start()
        try:
            # Let part of the backlog through, then kill -9 the authority.
            wait_for(lambda: stack.sim_state()["totals"]["approve_calls"]
                     + stack.sim_state()["totals"]["decline_calls"] >= 20,
                     60, "some requests to be applied")
            stack.kill("api-gateway")
            time.sleep(1)
            stack.start_gateway()
            # Work queued in the services reaches the new gateway; what was
            # lost in flight comes back once its lease (5 s) expires.
            time.sleep(6)
            status, _ = stack.gw("POST", "/api/v1/scan")
            self.assertEqual(status, 202)
            try:
                state, reviews = wait_for(stack.settled, 120,
                                          "the backlog to settle", 0.5)
            except AssertionError:
                print(stack.log_tail(), file=sys.stderr)
                raise
            assert_each_request_once(self, state, reviews)
            _, stats = stack.gw("GET", "/api/v1/stats")
            self.assertEqual(sum(stats["outcomes"].values()), 200)
        finally:
            stack.stop()
            stack.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
