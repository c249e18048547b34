// The review queue page. Cards come from GET /api/v1/reviews; each shows
// what the staff member needs to decide without leaving the page: the
// poster, the requester with their trust level and quota use (from the
// inputs snapshot the decision was taken on: proto/ps_work_json.c field
// names), every matched rule and the rule/AI/learner explanation.
//
// Cards are kept, not rebuilt, when the list is refreshed, so a reason
// being typed survives a new review arriving. Live over Server-Sent
// Events: `review` adds a card, `review_done` / `applied` removes one at
// once (another staff member decided it: a notice names who); without
// the stream the list is polled every 10 s. Keyboard: j/k or arrows move
// between cards, a approves, d declines, r goes to the reason; keys typed
// in an input are left alone. Untrusted text (titles, names, genres,
// explanations) goes through textContent only.
"use strict";

const POLL_MS = 10000;
const NOTICE_MS = 10000;
const OUTCOMES = ["approve", "decline", "review"];
const SOURCES = ["rule", "ai", "learner", "staff"];
// Shown when the poster cannot load at all (the gateway normally sends
// its own placeholder; this covers a gateway without the poster route).
const POSTER_FALLBACK = "data:image/svg+xml," + encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="180" viewBox="0 0 120 180">' +
  '<rect width="120" height="180" fill="#2d333b"/>' +
  '<rect x="35" y="65" width="50" height="40" rx="4" fill="none" stroke="#9aa5b1" stroke-width="4"/>' +
  '<circle cx="48" cy="78" r="5" fill="#9aa5b1"/><path d="M38 102l14-14 10 10 8-8 12 12z" fill="#9aa5b1"/></svg>');

const queue = {
  reviews: new Map(), // request_id -> review, as last fetched
  mine: new Set(), // request ids this page decided (no "someone else" notice)
  closed: new Set(), // request ids an event closed: a list fetched before must not bring them back
  focused: null, // request id of the focused card
  noticeTimer: null,
};

function list() {
  return document.getElementById("reviews");
}

function cards() {
  return Array.from(list().querySelectorAll("li.review"));
}

function cardOf(requestId) {
  return list().querySelector(`li.review[data-request-id="${Number(requestId)}"]`);
}

function titleOf(review) {
  return (review && review.title) || PS.t("reviews.untitled", { id: review ? review.request_id : "?" });
}

function notice(text, kind) {
  const box = document.getElementById("status");
  box.textContent = text;
  box.className = `status ${kind || ""}`.trim();
  box.hidden = !text;
  clearTimeout(queue.noticeTimer);
  if (text) queue.noticeTimer = setTimeout(() => { box.hidden = true; }, NOTICE_MS);
}

// ---- what a card says -------------------------------------------------------

// The inputs snapshot the decision was taken on (ps_work_to_json).
function inputsOf(review) {
  return review.inputs || {};
}

function matchedName(item) {
  return typeof item === "string" ? item : (item && item.rule) || "";
}

// trusted / restricted come from the user rules that matched; the inputs
// snapshot may carry an explicit trust on newer gateways.
function trustOf(review) {
  const names = (review.matched || []).map(matchedName);
  if (names.includes("restricted_user")) return "restricted";
  if (names.includes("trusted_user")) return "trusted";
  const inputs = inputsOf(review);
  if (["trusted", "restricted", "normal"].includes(inputs.trust)) return inputs.trust;
  return "normal";
}

// The account level (new / established / veteran) the rules used, when a
// rule that depends on it put it in its parameters.
function levelOf(review) {
  const candidates = [review.params, ...(review.matched || []).map((m) => m && m.params)];
  for (const params of candidates) {
    if (params && ["new", "established", "veteran"].includes(params.level)) return params.level;
  }
  const inputs = inputsOf(review);
  return ["new", "established", "veteran"].includes(inputs.level) ? inputs.level : null;
}

function metaLine(review) {
  const inputs = inputsOf(review);
  const parts = [];
  if (inputs.year) parts.push(String(inputs.year));
  const media = review.media_type || inputs.media_type;
  if (media) parts.push(PS.t(media === "tv" ? "media.tv" : "media.movie"));
  if (inputs.is4k) parts.push("4K");
  if (typeof inputs.rating === "number" && inputs.votes) {
    parts.push(PS.t("reviews.rating", { rating: PS.number(inputs.rating, 1), votes: PS.number(inputs.votes) }));
  }
  if (media === "tv" && inputs.requested_episodes) {
    parts.push(PS.t("reviews.episodes", { count: PS.number(inputs.requested_episodes) }));
  }
  return parts.join(" · ");
}

function quotaLine(review) {
  const inputs = inputsOf(review);
  const kind = (review.media_type || inputs.media_type) === "tv" ? "tv" : "movie";
  const limit = inputs[`quota_${kind}_limit`];
  const used = inputs[`quota_${kind}_used`];
  const parts = [];
  if (typeof used === "number") {
    parts.push(limit > 0
      ? PS.t("reviews.quota", { used: PS.number(used), limit: PS.number(limit), days: PS.number(inputs[`quota_${kind}_days`] || 7) })
      : PS.t("reviews.quota_unlimited", { used: PS.number(used) }));
  }
  if (typeof inputs.history_week === "number") {
    parts.push(PS.t("reviews.week", { count: PS.number(inputs.history_week) }));
  }
  if (typeof inputs.history_approved === "number") {
    parts.push(PS.t("reviews.history", {
      approved: PS.number(inputs.history_approved),
      declined: PS.number(inputs.history_declined || 0),
    }));
  }
  return parts.join(" · ");
}

function requesterBlock(review) {
  const inputs = inputsOf(review);
  const block = PS.el("div", null, "requester");
  block.append(PS.el("span", PS.t("reviews.requested_by", { user: review.user_name || inputs.user_name || PS.t("reviews.unknown_user") })));
  const trust = trustOf(review);
  block.append(PS.el("span", PS.t(`trust.${trust}`), `tag trust-${trust}`));
  const level = levelOf(review);
  if (level) block.append(PS.el("span", PS.t(`level.${level}`), "tag"));
  if (inputs.user_created_at > 0) {
    block.append(PS.el("span", PS.t("reviews.member_since", {
      date: new Date(inputs.user_created_at).toLocaleDateString(PS.lang),
    }), "muted small"));
  }
  return block;
}

function scoreLine(review) {
  const parts = [];
  const source = SOURCES.includes(review.source) ? PS.t(`source.${review.source}`) : review.source || "";
  if (source) parts.push(PS.t("reviews.decided_by_source", { source }));
  if (typeof review.score === "number") parts.push(PS.t("reviews.score", { score: PS.number(review.score, 2) }));
  if (typeof review.ai_score === "number" && review.ai_score !== review.score) {
    parts.push(PS.t("reviews.ai_score", { score: PS.number(review.ai_score, 2) }));
  }
  if (review.model) parts.push(review.model);
  return parts.join(" · ");
}

function matchedBlock(review) {
  const matched = review.matched || [];
  const block = PS.el("div", null, "matched");
  block.append(PS.el("h4", PS.t("reviews.matched")));
  if (matched.length === 0) {
    block.append(PS.el("p", PS.t("reviews.matched_none"), "muted small"));
    return block;
  }
  const items = PS.el("ul");
  for (const item of matched) {
    const entry = PS.el("li");
    let name = matchedName(item);
    const dryRun = name.startsWith("dry-run:");
    if (dryRun) name = name.slice("dry-run:".length);
    entry.append(PS.el("code", name));
    if (dryRun) entry.append(PS.el("span", PS.t("reviews.dry_run"), "tag"));
    if (item && typeof item === "object" && OUTCOMES.includes(item.outcome)) {
      entry.append(PS.el("span", PS.t(`outcome.${item.outcome}`), `tag outcome-${item.outcome}`));
    }
    // The rule that decided is explained just above; a rule id alone
    // (records without per-rule details) has nothing more to say.
    if (name === review.rule) entry.append(PS.el("span", PS.t("reviews.decisive"), "tag"));
    const text = item && typeof item === "object" ? PS.explain(item) : "";
    if (text && text !== PS.explain(review)) entry.append(PS.el("span", text, "why"));
    items.append(entry);
  }
  block.append(items);
  return block;
}

function posterOf(review) {
  const image = PS.el("img", null, "poster");
  image.alt = PS.t("reviews.poster_alt", { title: titleOf(review) });
  image.loading = "lazy";
  image.decoding = "async";
  image.width = 120;
  image.height = 180;
  image.addEventListener("error", () => {
    if (image.src !== POSTER_FALLBACK) image.src = POSTER_FALLBACK;
  }, { once: true });
  image.src = `/api/v1/posters/${Number(review.request_id)}`;
  return image;
}

function buildCard(review, reasonText) {
  const card = PS.el("li", null, "review");
  card.dataset.requestId = review.request_id;
  card.tabIndex = -1;
  card.append(posterOf(review));
  const body = PS.el("div", null, "review-body");
  body.append(PS.el("h3", titleOf(review)));
  const meta = metaLine(review);
  if (meta) body.append(PS.el("p", meta, "muted"));
  body.append(requesterBlock(review));
  const genres = inputsOf(review).genres;
  if (Array.isArray(genres) && genres.length) body.append(PS.el("p", genres.join(", "), "muted small"));
  const quota = quotaLine(review);
  if (quota) body.append(PS.el("p", quota, "muted small"));
  const why = PS.el("div", null, "explanation");
  why.append(PS.el("h4", PS.t("reviews.why")));
  why.append(PS.el("p", PS.explain(review) || PS.t("reviews.no_explanation"), "why"));
  const score = scoreLine(review);
  if (score) why.append(PS.el("p", score, "muted small"));
  body.append(why, matchedBlock(review));
  if (review.last_error) body.append(PS.el("p", PS.t("reviews.last_error", { error: review.last_error }), "error-text"));
  if (review.opened_at) body.append(PS.el("p", PS.t("reviews.opened", { when: PS.when(review.opened_at) }), "muted small"));
  const failure = PS.el("p", null, "error-text card-error");
  failure.hidden = true;
  body.append(failure);
  if (PS.can("staff")) {
    const actions = PS.el("div", null, "actions");
    const reason = PS.el("input", null, "reason");
    reason.type = "text";
    reason.maxLength = 500;
    reason.placeholder = PS.t("reviews.reason");
    reason.setAttribute("aria-label", PS.t("reviews.reason"));
    reason.value = reasonText || "";
    const approve = PS.el("button", PS.t("reviews.approve"), "approve");
    const decline = PS.el("button", PS.t("reviews.decline"), "decline");
    approve.type = "button";
    decline.type = "button";
    approve.addEventListener("click", () => decide(review.request_id, "approve"));
    decline.addEventListener("click", () => decide(review.request_id, "decline"));
    actions.append(reason, approve, decline);
    body.append(actions);
  }
  card.append(body);
  card.addEventListener("focusin", () => setFocus(review.request_id, false));
  return card;
}

// ---- the list -----------------------------------------------------------------

function updateCount() {
  const count = cards().length;
  document.getElementById("reviews-empty").hidden = count > 0;
  document.getElementById("reviews-count").textContent = PS.t("reviews.count", { count: PS.number(count) });
}

// Makes the list show `reviews` in order, keeping the cards that stay.
function sync(reviews) {
  const wanted = new Set(reviews.map((r) => String(r.request_id)));
  for (const card of cards()) {
    if (!wanted.has(card.dataset.requestId)) removeCard(card.dataset.requestId);
  }
  let previous = null;
  for (const review of reviews.filter((r) => !queue.closed.has(String(r.request_id)))) {
    const id = String(review.request_id);
    const known = queue.reviews.get(id);
    let card = cardOf(id);
    // A changed review (a new last_error, say) gets a fresh card, unless
    // someone is typing in it or its decision is on the way.
    if (card && JSON.stringify(known) !== JSON.stringify(review)
        && !card.contains(document.activeElement) && !card.classList.contains("busy")) {
      card = replaceCard(card, review);
    }
    if (!card) card = buildCard(review, "");
    queue.reviews.set(id, review);
    const expectedPlace = previous ? previous.nextSibling : list().firstChild;
    if (card !== expectedPlace) list().insertBefore(card, expectedPlace);
    previous = card;
  }
  updateCount();
}

// A new card for `review` in place of `card`, with its typed reason and
// its focus mark.
function replaceCard(card, review) {
  const reason = card.querySelector("input.reason");
  const fresh = buildCard(review, reason ? reason.value : "");
  if (card.classList.contains("focused")) fresh.classList.add("focused");
  card.replaceWith(fresh);
  return fresh;
}

// Rebuilds every card (the language changed).
function rebuild() {
  for (const card of cards()) replaceCard(card, queue.reviews.get(card.dataset.requestId));
  updateCount();
}

function removeCard(requestId) {
  const card = cardOf(requestId);
  if (!card) return;
  const all = cards();
  const index = all.indexOf(card);
  const wasFocused = queue.focused === String(requestId);
  const hadFocusInside = card.contains(document.activeElement);
  card.remove();
  queue.reviews.delete(String(requestId));
  updateCount();
  if (wasFocused) {
    const rest = cards();
    queue.focused = null;
    if (rest.length) setFocus(rest[Math.min(index, rest.length - 1)].dataset.requestId, hadFocusInside);
  }
}

async function load() {
  const answer = await PSLive.tryJson("/api/v1/reviews");
  if (!answer.ok) {
    PS.showError(PS.t("reviews.error.load", { reason: PSLive.failure(answer) }));
    return;
  }
  PS.showError("");
  sync(answer.body.reviews || []);
}

// ---- deciding ---------------------------------------------------------------------

async function decide(requestId, action) {
  if (!PS.can("staff")) return;
  const card = cardOf(requestId);
  // One decision per card at a time: a second key press while the first
  // is on its way to Overseerr is ignored.
  if (!card || card.classList.contains("busy")) return;
  card.classList.add("busy");
  const review = queue.reviews.get(String(requestId));
  const title = titleOf(review);
  const reason = card.querySelector("input.reason");
  const buttons = card.querySelectorAll("button");
  const failure = card.querySelector(".card-error");
  buttons.forEach((button) => { button.disabled = true; });
  failure.hidden = true;
  notice(PS.t("reviews.sending", { title }));
  queue.mine.add(String(requestId));
  let response = null;
  let body = {};
  try {
    response = await PS.post(`/api/v1/reviews/${Number(requestId)}/${action}`,
      JSON.stringify(reason && reason.value.trim() ? { reason: reason.value.trim() } : {}));
    try {
      body = await response.json();
    } catch (err) {
      body = {};
    }
  } catch (err) {
    response = null;
  }
  if (response && response.ok) {
    removeCard(requestId);
    const observeOnly = typeof body.state === "string" && body.state.includes("observe");
    notice(PS.t(observeOnly ? `reviews.done_observe.${action}` : `reviews.done.${action}`, { title }), "ok");
    return;
  }
  if (response && (response.status === 404 || response.status === 409)) {
    removeCard(requestId);
    notice(PS.t(response.status === 409 ? "reviews.elsewhere" : "reviews.gone", { title }), "warn");
    return;
  }
  queue.mine.delete(String(requestId));
  card.classList.remove("busy");
  buttons.forEach((button) => { button.disabled = false; });
  const reasonText = !response ? PS.t("common.unreachable")
    : response.status === 502 ? PS.t("reviews.not_taken", { detail: body.detail || body.error || "" })
      : body.error || `HTTP ${response.status}`;
  failure.textContent = reasonText;
  failure.hidden = false;
  notice(PS.t("reviews.failed", { title, reason: reasonText }), "bad");
}

// Another staff member (or Overseerr) closed a review: its card goes now.
function closedElsewhere(data) {
  const id = String(data.request_id);
  queue.closed.add(id);
  if (!cardOf(id)) return;
  const review = queue.reviews.get(id);
  removeCard(id);
  if (queue.mine.has(id)) return;
  const title = data.title || titleOf(review);
  const outcome = OUTCOMES.includes(data.outcome) ? PS.t(`outcome.${data.outcome}`) : "";
  notice(data.actor
    ? PS.t("reviews.closed_by", { title, actor: data.actor, outcome })
    : PS.t("reviews.closed", { title, outcome }), "warn");
}

// ---- keyboard -----------------------------------------------------------------------

function setFocus(requestId, moveFocus) {
  const id = String(requestId);
  for (const card of cards()) card.classList.toggle("focused", card.dataset.requestId === id);
  queue.focused = id;
  const card = cardOf(id);
  if (card && moveFocus) {
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
  }
}

function move(step) {
  const all = cards();
  if (all.length === 0) return;
  const index = all.findIndex((card) => card.dataset.requestId === queue.focused);
  const next = index < 0 ? 0 : Math.max(0, Math.min(all.length - 1, index + step));
  setFocus(all[next].dataset.requestId, true);
}

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  const typing = target instanceof HTMLElement
    && (["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName) || target.isContentEditable);
  if (typing) {
    if (event.key === "Escape" && target.classList.contains("reason")) {
      const card = target.closest("li.review");
      if (card) setFocus(card.dataset.requestId, true);
    }
    return;
  }
  const key = event.key;
  const moving = ["j", "k", "ArrowDown", "ArrowUp"].includes(key);
  // With no card, the arrows scroll the page as usual.
  if (moving && cards().length === 0) return;
  if (key === "j" || key === "ArrowDown") move(1);
  else if (key === "k" || key === "ArrowUp") move(-1);
  else if ((key === "a" || key === "d") && queue.focused) decide(queue.focused, key === "a" ? "approve" : "decline");
  else if (key === "r" && queue.focused) {
    const reason = cardOf(queue.focused) && cardOf(queue.focused).querySelector("input.reason");
    if (!reason) return;
    reason.focus();
  } else return;
  event.preventDefault();
}

// ---- wiring -----------------------------------------------------------------------------

PS.start("reviews").then((ok) => {
  if (!ok) return;
  if (!PS.can("staff")) {
    document.getElementById("shortcuts").hidden = true;
    document.getElementById("viewer-note").hidden = false;
  }
  // On a phone the shortcuts take a screen for keys that are not there.
  if (window.matchMedia("(max-width: 600px)").matches) document.getElementById("shortcuts").open = false;
  document.addEventListener("keydown", onKey);
  document.addEventListener("ps:language", rebuild);
  load();
  const loadSoon = PSLive.coalesce(load, 300);
  PSLive.follow({
    review: (data) => {
      // A request can come back to review (re-judged): it is open again.
      queue.closed.delete(String(data.request_id));
      loadSoon();
    },
    review_done: closedElsewhere,
    applied: closedElsewhere,
  }, load, POLL_MS);
});
