/*
 * stoppress service worker: shows article notifications and opens the article on click.
 *
 * The push payload (docs/design.md, "Contracts") follows the declarative Web Push shape:
 *   {"web_push": 8030,
 *    "notification": {"title", "body", "navigate", "tag", "timestamp", "lang"},
 *    "article": {"id", "version", "change": "new" | "update"}}
 * A later version of the same article carries the same tag, so it replaces the
 * earlier notification instead of stacking; "renotify" makes the replacement
 * alert again for updates.
 */
"use strict";

const STATE_CACHE = "stoppress";
const STATE_URL = "/stoppress-state.json";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

function notificationFrom(payload) {
  const n = (payload && payload.notification) || {};
  const article = (payload && payload.article) || {};
  const options = {
    body: typeof n.body === "string" ? n.body : "",
    lang: n.lang || "en",
    data: { navigate: safeUrl(n.navigate), article },
  };
  if (typeof n.tag === "string" && n.tag) {
    options.tag = n.tag;
    // renotify without a tag is a TypeError; with one, an update alerts again.
    options.renotify = article.change === "update";
  }
  if (Number.isFinite(n.timestamp)) options.timestamp = n.timestamp;
  return { title: typeof n.title === "string" && n.title ? n.title : "News update", options };
}

function safeUrl(url) {
  if (typeof url !== "string" || !url) return self.registration.scope;
  try {
    const parsed = new URL(url, self.registration.scope);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : self.registration.scope;
  } catch {
    return self.registration.scope;
  }
}

self.addEventListener("push", (event) => {
  let payload = null;
  try {
    payload = event.data ? event.data.json() : null;
  } catch {
    payload = null; // not JSON: still show something, browsers penalise silent pushes
  }
  const { title, options } = notificationFrom(payload);
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = (event.notification.data && event.notification.data.navigate) || self.registration.scope;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const wanted = new URL(target);
      for (const client of windows) {
        const url = new URL(client.url);
        if (url.origin === wanted.origin && url.pathname === wanted.pathname && "focus" in client) {
          return client.focus();
        }
      }
      return self.clients.openWindow(target);
    })(),
  );
});

async function savedState() {
  const cache = await caches.open(STATE_CACHE);
  const response = await cache.match(STATE_URL);
  return response ? response.json() : null;
}

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
      await post("POST", { subscription: subscription.toJSON(), topics: state.topics });
      if (event.oldSubscription && event.oldSubscription.endpoint !== subscription.endpoint) {
        const old = event.oldSubscription.toJSON();
        if (old.keys && old.keys.auth) await post("DELETE", { endpoint: old.endpoint, auth: old.keys.auth });
      }
    })(),
  );
});
