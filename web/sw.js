/*
 * stoppress service worker: shows article notifications and acts on their clicks.
 *
 * The push payload (docs/design.md, "Contracts") follows the declarative Web Push shape:
 *   {"web_push": 8030,
 *    "notification": {"title", "body", "navigate", "tag", "timestamp", "lang",
 *                     optional "icon", "badge", "image", "requireInteraction",
 *                     "actions": [{"action", "title", "navigate"?, "icon"?}]},
 *    "article": {"id", "version", "change": "new" | "update", "previous_version"?}}
 * A later version of the same article carries the same tag, so it replaces the
 * earlier notification instead of stacking; "renotify" makes the replacement
 * alert again for updates. A payload that cannot be read still shows a plain
 * notification: browsers penalise pushes that show nothing.
 *
 * Clicks: the body or the "read" action focuses a tab on the article or opens
 * one; "unfollow" asks the API to stop that story's topic for this browser
 * (DELETE /subscriptions with the subscription's auth secret as proof). The
 * API's URL is in the state stoppress.js saves in Cache Storage. Both are also
 * counted for the version the notification showed (POST /events, with nothing
 * about the reader), beside opening or unfollowing, never before it.
 */
"use strict";

const STATE_CACHE = "stoppress";
const STATE_URL = "/stoppress-state.json";
const GENERIC_BODY = "New update";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

const isObject = (value) => typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value) => (typeof value === "string" && value ? value : "");

function safeUrl(url) {
  if (!text(url)) return self.registration.scope;
  try {
    const parsed = new URL(url, self.registration.scope);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : self.registration.scope;
  } catch {
    return self.registration.scope;
  }
}

// Images the browser fetches itself: https anywhere, or from the site's own origin.
function imageUrl(url) {
  if (!text(url)) return "";
  try {
    const parsed = new URL(url, self.registration.scope);
    const own = parsed.origin === new URL(self.registration.scope).origin;
    return parsed.protocol === "https:" || own ? parsed.href : "";
  } catch {
    return "";
  }
}

async function savedState() {
  const cache = await caches.open(STATE_CACHE);
  const response = await cache.match(STATE_URL);
  return response ? response.json() : null;
}

async function saveState(state) {
  const cache = await caches.open(STATE_CACHE);
  await cache.put(
    STATE_URL,
    new Response(JSON.stringify(state), { headers: { "content-type": "application/json" } }),
  );
}

function genericNotification(state) {
  const site = (state && text(state.site)) || new URL(self.registration.scope).hostname;
  return { title: site, options: { body: GENERIC_BODY, data: { navigate: self.registration.scope, actions: {} } } };
}

// The notification for a payload, or null when it is not one we can show as sent.
function notificationFrom(payload) {
  const n = isObject(payload) && payload.notification;
  if (!isObject(n) || !text(n.title)) return null;
  const article = isObject(payload.article) ? payload.article : {};
  const data = {
    navigate: safeUrl(n.navigate),
    article: { id: text(article.id), version: article.version, change: text(article.change) },
    actions: {},
  };
  const options = { body: text(n.body), data };
  if (text(n.lang)) options.lang = n.lang;
  if (text(n.tag)) {
    options.tag = n.tag;
    // renotify without a tag is a TypeError; with one, an update alerts again.
    options.renotify = article.change === "update";
  }
  if (Number.isFinite(n.timestamp)) options.timestamp = n.timestamp;
  for (const field of ["icon", "badge", "image"]) {
    const url = imageUrl(n[field]);
    if (url) options[field] = url;
  }
  if (n.requireInteraction === true) options.requireInteraction = true;
  const actions = [];
  const seen = new Set();
  for (const a of Array.isArray(n.actions) ? n.actions : []) {
    if (!isObject(a) || !text(a.action) || !text(a.title) || seen.has(a.action)) continue;
    if (a.action === "unfollow" && !data.article.id) continue; // nothing to unfollow
    const action = { action: a.action, title: a.title };
    const icon = imageUrl(a.icon);
    if (icon) action.icon = icon;
    actions.push(action);
    seen.add(a.action);
    // The Notification API keeps no URL per action; the click handler finds it here.
    data.actions[a.action] = a.navigate === undefined ? data.navigate : safeUrl(a.navigate);
  }
  if (actions.length) options.actions = actions;
  return { title: n.title, options };
}

// A reader subscribed to everything who also follows the story hears an update the
// editor sent to everyone from everyone's push, which offers no "Unfollow story"
// (the sender reaches each reader once, from the first topic they are in). This
// browser knows its follows: it offers the button where the server could not.
async function offerUnfollow(shown) {
  const { data } = shown.options;
  const actions = shown.options.actions || [];
  const max = (typeof Notification !== "undefined" && Notification.maxActions) || 2;
  if (!data.article.id || data.article.change !== "update") return shown;
  if ("unfollow" in data.actions || actions.length >= max) return shown;
  const state = await savedState().catch(() => null);
  const topics = state && Array.isArray(state.topics) ? state.topics : [];
  if (!topics.includes("article:" + data.article.id)) return shown;
  shown.options.actions = [...actions, { action: "unfollow", title: "Unfollow story" }];
  data.actions.unfollow = data.navigate;
  return shown;
}

self.addEventListener("push", (event) => {
  let payload = null;
  try {
    payload = event.data ? event.data.json() : null;
  } catch {
    payload = null; // not JSON: the generic notification below
  }
  event.waitUntil(
    (async () => {
      const read = notificationFrom(payload);
      const shown = read && (await offerUnfollow(read));
      if (shown) {
        try {
          return await self.registration.showNotification(shown.title, shown.options);
        } catch {
          /* options the browser refuses (say, a malformed URL): still show something */
        }
      }
      const state = await savedState().catch(() => null);
      const generic = genericNotification(state);
      return self.registration.showNotification(generic.title, generic.options);
    })(),
  );
});

async function openArticle(target) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const wanted = new URL(target);
  for (const client of windows) {
    const url = new URL(client.url);
    if (url.origin === wanted.origin && url.pathname === wanted.pathname && "focus" in client) {
      return client.focus();
    }
  }
  return self.clients.openWindow(target);
}

function base64url(buffer) {
  const binary = String.fromCharCode(...new Uint8Array(buffer));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// Stops the story's topic for this browser; true once the API has nothing left to do.
async function unfollow(article) {
  const state = await savedState();
  const subscription = await self.registration.pushManager.getSubscription();
  if (!state || !text(state.api) || !subscription || !article.id) return false;
  const topic = "article:" + article.id;
  const response = await fetch(state.api + "/subscriptions", {
    method: "DELETE",
    mode: "cors",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      endpoint: subscription.endpoint,
      auth: base64url(subscription.getKey("auth")),
      topics: [topic],
    }),
  });
  // 403: the API knows no such subscription any more, so nothing is followed either.
  if (!response.ok && response.status !== 403) return false;
  // Re-subscribing after a push service change must not bring the story back.
  const topics = Array.isArray(state.topics) ? state.topics.filter((t) => t !== topic) : [];
  await saveState({ ...state, topics });
  return true;
}

// Counts a click or an unfollow for the version the notification showed. The body names
// the version and the action only; no cookie goes with it. keepalive lets the request
// finish after the worker is done with the click.
async function count(article, action) {
  const state = await savedState();
  const known = text(article.id) && Number.isInteger(article.version) && article.version > 0;
  if (!state || !text(state.api) || !known) return;
  await fetch(state.api + "/events", {
    method: "POST",
    mode: "cors",
    credentials: "omit",
    keepalive: true,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ article_id: article.id, version: article.version, action }),
  });
}

// A count that fails (offline, throttled, a version the API does not know) changes
// nothing for the reader.
const counted = (article, action) => count(article, action).catch(() => {});

self.addEventListener("notificationclick", (event) => {
  const notification = event.notification;
  const data = isObject(notification.data) ? notification.data : {};
  const article = isObject(data.article) ? data.article : {};
  if (event.action === "unfollow") {
    event.waitUntil(
      unfollow(article).then(
        (done) => {
          if (!done) return undefined;
          notification.close();
          // Counted once done: a reader who had to try again is still one unfollow.
          return counted(article, "unfollow");
        },
        () => {}, // offline or refused: the notification stays, so the reader can try again
      ),
    );
    return;
  }
  notification.close();
  const actions = isObject(data.actions) ? data.actions : {};
  const target = text(actions[event.action]) || text(data.navigate) || self.registration.scope;
  const opened = openArticle(target);
  // Started beside opening, which never waits for it.
  const clicked = event.action === "" || event.action === "read" ? counted(article, "click") : null;
  event.waitUntil(Promise.all([opened, clicked]));
});

// The push service replaced or expired the subscription: subscribe again with the
// same topics so the reader keeps getting what they asked for.
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(
    (async () => {
      const state = await savedState();
      if (!state || !state.api || !Array.isArray(state.topics) || !state.topics.length) return;
      const post = (method, body) =>
        fetch(state.api + "/subscriptions", {
          method,
          mode: "cors",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      let subscription = event.newSubscription;
      if (!subscription) {
        let key = event.oldSubscription && event.oldSubscription.options.applicationServerKey;
        if (!key) {
          const response = await fetch(state.api + "/vapid-public-key", { mode: "cors" });
          const { publicKey } = await response.json();
          const base64 = publicKey.replace(/-/g, "+").replace(/_/g, "/");
          key = Uint8Array.from(atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4)), (c) => c.charCodeAt(0));
        }
        subscription = await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
      }
      const stored = await post("POST", { subscription: subscription.toJSON(), topics: state.topics });
      // The server keeps what it can (20 topics at most; no follow that has lapsed):
      // remember its list, as the page does, so the two agree.
      try {
        const body = stored.ok ? await stored.json() : null;
        if (body && Array.isArray(body.topics)) await saveState({ ...state, topics: body.topics });
      } catch {
        /* an answer without a list: keep ours */
      }
      if (event.oldSubscription && event.oldSubscription.endpoint !== subscription.endpoint) {
        const old = event.oldSubscription.toJSON();
        if (old.keys && old.keys.auth) await post("DELETE", { endpoint: old.endpoint, auth: old.keys.auth });
      }
    })(),
  );
});
