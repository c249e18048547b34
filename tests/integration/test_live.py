"""Live updates and posters on a real stack: the Server-Sent Events stream
(GET /api/v1/events) replays and follows the gateway's events, a staff
decision reaches a second open stream, a reconnect with Last-Event-ID gets
exactly what it missed, the stream cap answers 503 while the API keeps
answering, SIGTERM ends a gateway with streams open; GET /api/v1/progress
follows a scan's backlog; posters come from the image server, then from
the gateway's cache once it is gone, and a placeholder when unknown.
"""
import json
import os
import signal
import socket
import sqlite3
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from stack import Stack, wait_for  # noqa: E402

BINDIR = os.environ.get("PS_BINDIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin"))
MAX_STREAMS = 16


class LiveStack(Stack):
    """A stack whose gateway takes its posters from the Overseerr
    simulator's image route."""

    def config_text(self):
        return super().config_text().replace("gateway:\n", (
            "gateway:\n"
            f"  poster_base_url: http://127.0.0.1:{self.overseerr_port}"
            "/t/p/w300\n"
            "  poster_timeout_ms: 2000\n"
            f"  sse_max_clients: {MAX_STREAMS}\n"), 1)


class Stream:
    """One open event stream, read by a thread into a list of events
    ({"id", "event", "data"})."""

    def __init__(self, stack, query="", headers=None):
        url = f"http://127.0.0.1:{stack.gateway_port}/api/v1/events{query}"
        req = urllib.request.Request(url)
        req.add_header("Authorization", "Bearer " + stack.api_token)
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        self.events = []
        self.retry = None
        self.ended = False
        self.cond = threading.Condition()
        self.resp = urllib.request.urlopen(req, timeout=60)
        self.status = self.resp.status
        self.content_type = self.resp.headers.get("Content-Type")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        fields = {}
        try:
            while True:
                raw = self.resp.readline()
                if not raw:
                    break
                line = raw.decode().rstrip("\n")
                if line == "":
                    if "event" in fields:
                        with self.cond:
                            self.events.append({
                                "id": int(fields["id"]),
                                "event": fields["event"],
                                "data": json.loads(fields["data"])})
                            self.cond.notify_all()
                    fields = {}
                elif line.startswith(":"):
                    continue
                else:
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if name == "retry":
                        self.retry = int(value)
                    else:
                        fields[name] = value
        except (OSError, ValueError):
            pass
        with self.cond:
            self.ended = True
            self.cond.notify_all()

    def wait(self, predicate, timeout, what):
        """Waits for an event matching predicate; returns it."""
        deadline = time.time() + timeout
        with self.cond:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                left = deadline - time.time()
                if left <= 0 or self.ended:
                    raise AssertionError(f"no event: {what}")
                self.cond.wait(left)

    def snapshot(self, kind=None):
        with self.cond:
            return [e for e in self.events
                    if kind is None or e["event"] == kind]

    def wait_end(self, timeout):
        with self.cond:
            self.cond.wait_for(lambda: self.ended, timeout)
            return self.ended

    def close(self):
        """Hangs up: shutting the socket down also wakes the reader."""
        try:
            self.resp.fp.raw._sock.shutdown(socket.SHUT_RDWR)
        except (AttributeError, OSError):
            pass
        self.wait_end(5)
        self.resp.close()


def open_stream_status(stack):
    """Opens one more stream: (status, Stream or error body)."""
    try:
        return 200, Stream(stack)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


class LiveTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Slow AI answers and two calls at a time: the backlog drains over
        # several seconds, long enough to watch its progress.
        cls.stack = LiveStack(BINDIR, requests=300, llm_latency_ms=400,
                              ai_extra="  concurrency: 2\n").start()
        cls.first = Stream(cls.stack, "?since=0")
        cls.streams = [cls.first]
        cls.db = os.path.join(cls.stack.dir, "data", "moderation.db")

    @classmethod
    def tearDownClass(cls):
        for stream in cls.streams:
            stream.close()
        cls.stack.stop()
        cls.stack.cleanup()

    def rows(self, sql, *args):
        db = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def settle(self):
        return wait_for(self.stack.settled, 120, "every request settled")

    def test_1_progress_follows_the_backlog(self):
        samples = []

        def drained():
            status, doc = self.stack.gw("GET", "/api/v1/progress")
            self.assertEqual(status, 200, doc)
            samples.append(doc)
            return samples[-1]["backlog"] == 0 and not doc["running"] \
                and doc["done"] >= 300
        wait_for(drained, 120, "the backlog to drain", interval=0.3)
        running = [s for s in samples if s["running"]]
        self.assertTrue(running, samples[:3])
        dones = [s["done"] for s in samples]
        self.assertEqual(dones, sorted(dones), "done never goes back")
        self.assertGreater(len(set(s["done"] for s in running)), 1,
                           "done increases while the scan's work runs")
        for s in samples:
            self.assertEqual(s["total"], s["done"] + s["backlog"])
            self.assertEqual(set(s), {"running", "done", "total",
                                      "rate_per_s", "eta_s", "backlog",
                                      "at"})
        self.assertTrue(any(s["eta_s"] is not None for s in running))
        self.assertIsNone(samples[-1]["eta_s"])
        # The stream said so too, and said when it was over.
        self.first.wait(lambda e: e["event"] == "progress"
                        and e["data"]["running"], 5, "a running progress")
        self.first.wait(lambda e: e["event"] == "progress"
                        and not e["data"]["running"]
                        and e["data"]["done"] >= 300, 10,
                        "the last progress")

    def test_2_stream_replays_every_decision_in_order(self):
        self.assertEqual(self.first.status, 200)
        self.assertTrue(self.first.content_type.startswith(
            "text/event-stream"))
        self.settle()
        decided = self.rows(
            "SELECT seq, outcome FROM events WHERE kind = 'decision' "
            "ORDER BY seq")
        self.first.wait(lambda e: e["event"] == "decision"
                        and e["id"] == decided[-1][0], 10,
                        "the last decision")
        self.assertEqual(self.first.retry, 2000)
        got = self.first.snapshot("decision")
        self.assertEqual([e["id"] for e in got], [seq for seq, _ in decided])
        self.assertEqual([e["data"]["seq"] for e in got],
                         [seq for seq, _ in decided])
        reviews = [e["id"] for e in self.first.snapshot("review")]
        self.assertEqual(reviews,
                         [seq for seq, outcome in decided
                          if outcome == "review"])
        self.assertTrue(reviews, "some requests went to review")
        ids = [e["id"] for e in self.first.snapshot()]
        self.assertEqual(ids, sorted(ids))
        # Without a login there is no stream at all.
        anonymous = urllib.request.Request(
            f"http://127.0.0.1:{self.stack.gateway_port}/api/v1/events")
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(anonymous, timeout=5)
        self.assertEqual(caught.exception.code, 401)
        applied = self.first.snapshot("applied")
        self.assertTrue(applied)
        self.assertIn(applied[0]["data"]["outcome"], ("approve", "decline"))

    def test_3_review_done_reaches_a_second_stream(self):
        _, reviews = self.settle()
        second = Stream(self.stack)
        self.streams.append(second)
        by_staff, by_overseerr = sorted(reviews)[0], sorted(reviews)[-1]
        status, body = self.stack.gw(
            "POST", f"/api/v1/reviews/{by_staff}/approve",
            {"reason": "family favourite"})
        self.assertEqual(status, 200, body)
        done = second.wait(lambda e: e["event"] == "review_done"
                           and e["data"]["request_id"] == by_staff, 10,
                           "review_done on the second stream")
        self.assertEqual(done["data"]["by"], "staff")
        self.assertEqual(done["data"]["actor"], "environment")
        self.assertEqual(done["data"]["outcome"], "approve")
        self.assertEqual(done["data"]["reason"], "family favourite")
        self.first.wait(lambda e: e["id"] == done["id"], 10,
                        "the same event on the first stream")
        # Decided in Overseerr by someone else: the review closes too.
        status, body = self.stack.sim(
            "POST", f"/sim/requests/{by_overseerr}/status",
            {"status": 3, "webhook": True})
        self.assertEqual(status, 200, body)
        done = second.wait(lambda e: e["event"] == "review_done"
                           and e["data"]["request_id"] == by_overseerr, 15,
                           "review_done for a decision taken in Overseerr")
        self.assertEqual(done["data"]["by"], "overseerr")
        self.assertEqual(done["data"]["outcome"], "decline")
        # The stream started at "now": nothing from before it opened.
        first_id = second.snapshot()[0]["id"]
        self.assertGreater(first_id, self.first.snapshot("decision")[-1]["id"])

    def expected_after(self, seq):
        """The SSE ids a stream resuming after seq must deliver (the rows
        the dashboard hears about), from the events table."""
        rows = self.rows(
            "SELECT seq, kind FROM events WHERE seq > ? ORDER BY seq", seq)
        return [s for s, kind in rows
                if kind in ("decision", "staff", "applied")]

    def test_4_reconnect_gets_exactly_the_missed_events(self):
        _, reviews = self.settle()
        last = self.first.snapshot()[-1]["id"]
        target = sorted(reviews)[0]
        status, body = self.stack.gw(
            "POST", f"/api/v1/reviews/{target}/decline", {"reason": "dupe"})
        self.assertEqual(status, 200, body)
        status, body = self.stack.sim("POST", "/sim/requests", {"count": 2})
        self.assertEqual(status, 200, body)
        new_ids = set(body["ids"])
        wait_for(lambda: all(
            self.rows("SELECT 1 FROM events WHERE kind = 'decision' AND "
                      "request_id = ?", i) for i in new_ids), 20,
                 "the new requests decided")
        expected = self.expected_after(last)
        for how in ({"headers": {"Last-Event-ID": str(last)}},
                    {"query": f"?since={last}"}):
            stream = Stream(self.stack, **how)
            self.streams.append(stream)
            stream.wait(lambda e: e["id"] >= expected[-1], 10,
                        f"the missed events ({how})")
            ids = sorted(set(e["id"] for e in stream.snapshot()
                             if e["event"] != "progress"))
            self.assertEqual(ids[:len(expected)], expected, how)
            self.assertGreater(min(ids), last)
            self.assertTrue(any(
                e["event"] == "review_done"
                and e["data"]["request_id"] == target
                for e in stream.snapshot()))
            stream.close()
        for bad in ({"Last-Event-ID": "yesterday"},):
            with self.assertRaises(urllib.error.HTTPError) as caught:
                Stream(self.stack, headers=bad)
            self.assertEqual(caught.exception.code, 400)
            self.assertIn("Last-Event-ID",
                          json.loads(caught.exception.read())["error"])

    def test_5_stream_cap_answers_503_and_the_api_stays_up(self):
        # A stream closed by its client frees its slot when a write to it
        # fails (a heartbeat or two, 15 s each): open until refused, and
        # retry while fewer than the cap are ours.
        ours = [s for s in self.streams if not s.ended]
        for s in self.streams:
            if s not in ours:
                s.close()
        deadline = time.time() + 60
        refused = None
        while time.time() < deadline:
            status, got = open_stream_status(self.stack)
            if status == 200:
                self.streams.append(got)
                ours.append(got)
                continue
            self.assertEqual(status, 503, got)
            refused = got
            if len([s for s in ours if not s.ended]) >= MAX_STREAMS:
                break
            time.sleep(1)
        live = [s for s in ours if not s.ended]
        self.assertEqual(len(live), MAX_STREAMS)
        self.assertIn("gateway.sse_max_clients", refused["error"])
        # Every stream holds a thread of its own: the API still answers.
        for path in ("/api/v1/stats", "/api/v1/reviews", "/api/v1/progress"):
            status, body = self.stack.gw("GET", path, timeout=5)
            self.assertEqual(status, 200, (path, body))

    def poster(self, request_id):
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.stack.gateway_port}"
            f"/api/v1/posters/{request_id}")
        req.add_header("Authorization", "Bearer " + self.stack.api_token)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.headers, err.read()

    def posters_served(self):
        status, body = self.stack.sim("GET", "/sim/webhooks")
        self.assertEqual(status, 200, body)
        return body["posters_served"]

    def test_6_posters_proxied_cached_and_placeholder(self):
        _, reviews = self.settle()
        first, second = sorted(reviews)[:2]
        status, headers, body = self.poster(first)
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "image/jpeg")
        self.assertIn("private", headers["Cache-Control"])
        self.assertTrue(body.startswith(b"\xff\xd8\xff"))
        self.assertEqual(self.posters_served(), 1)
        self.assertEqual(self.poster(first)[2], body)
        self.assertEqual(self.posters_served(), 1,
                         "the second time comes from the cache")
        (path,), = self.rows(
            "SELECT poster_path FROM requests WHERE request_id = ?", first)
        self.assertTrue(os.path.isfile(os.path.join(
            self.stack.dir, "data", "posters", path.lstrip("/"))))
        # With the image server gone, a cached poster is still served and
        # one never fetched becomes the placeholder.
        self.stack.kill("overseerr-sim")
        status, headers, cached = self.poster(first)
        self.assertEqual((status, headers["Content-Type"], cached),
                         (200, "image/jpeg", body))
        for unknown in (second, 999999):
            status, headers, svg = self.poster(unknown)
            self.assertEqual(status, 200)
            self.assertEqual(headers["Content-Type"], "image/svg+xml")
            self.assertTrue(svg.startswith(b"<svg"))
            self.assertIn("max-age=60", headers["Cache-Control"])
        status, _, body = self.poster("abc")
        self.assertEqual(status, 404)

    def test_7_sigterm_ends_open_streams_and_the_gateway(self):
        live = [s for s in self.streams if not s.ended]
        self.assertTrue(live)
        proc = self.stack.procs["api-gateway"]
        proc.send_signal(signal.SIGTERM)
        # Docker kills after 10 s: the gateway must be gone well before.
        self.assertEqual(proc.wait(timeout=8), 0)
        for stream in live:
            self.assertTrue(stream.wait_end(5), "the stream ended")


if __name__ == "__main__":
    unittest.main(verbosity=2)
