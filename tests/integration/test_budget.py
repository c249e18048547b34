"""The daily AI budget across judges: with a small ai.daily_budget_usd,
two judges keep calling the LLM while the budget has room, then send
the rest to review saying the budget is reached; the day's recorded cost
never passes the cap, and every request still ends in exactly one state.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from stack import Stack, wait_for  # noqa: E402

BINDIR = os.environ.get("PS_BINDIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin"))
BUDGET = 0.002  # dollars: about 35 gpt-4o-mini calls of this size


class BudgetTest(unittest.TestCase):
    def test_budget_caps_calls_across_judges(self):
        stack = Stack(BINDIR, requests=80, judges=2, llm_latency_ms=50,
                      ai_extra=f"  daily_budget_usd: {BUDGET}\n",
                      rules="  upcoming_review: false\n"
                            "  mode:\n    quota_weekly: off\n").start()
        try:
            state, reviews = wait_for(stack.settled, 90,
                                      "the backlog to settle", 0.5)
            _, stats = stack.gw("GET", "/api/v1/stats")
            _, llm = stack.llm("GET", "/sim/stats")
            _, costs = stack.gw("GET", "/api/v1/costs")
            spent = costs["today"]["spent_usd"]
            self.assertEqual(costs["today"]["budget_usd"], BUDGET)
            self.assertLessEqual(spent, BUDGET)
            # Calls go on while the day's spend has room, even when the
            # estimates of calls in flight fill the budget for a moment.
            self.assertGreater(llm["calls"], 20)
            self.assertLess(llm["calls"], 80)
            self.assertEqual(stats["ai"]["calls"], llm["calls"])
            _, body = stack.gw("GET", "/api/v1/decisions?limit=1000")
            capped = [d for d in body["decisions"]
                      if "budget reached" in (d["explanation"] or "")]
            self.assertEqual(len(capped) + llm["calls"], 80)
            for d in capped:
                self.assertEqual(d["outcome"], "review")
                self.assertIsNone(d["score"])
            for req in state["requests"]:
                calls = req["approve_calls"] + req["decline_calls"]
                self.assertLessEqual(calls, 1)
            print(f"\n  budget ${BUDGET}: {llm['calls']} LLM calls, "
                  f"${spent:.6f} spent, {len(capped)} sent to review",
                  file=sys.stderr)
        finally:
            stack.stop()
            stack.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
