/*
 * stoppress.js: "Get the latest updates as we post them — right on your browser".
 *
 * Drop it into an article page, dependency-free:
 *
 *   <div data-stoppress-prompt></div>
 *   <script src="/stoppress.js" defer
 *           data-api="https://api.example.com"      (the subscriptions HTTP API)
 *           data-article-id="nato-resumes-contacts" (optional: offers "Follow this story")
 *           data-site-name="The Stop Press"         (optional, default og:site_name or the host)
 *           data-service-worker="/sw.js"></script>  (optional, default /sw.js)
 *
 * It registers the service worker, asks for permission only when the reader
 * clicks, sends PushSubscription.toJSON() to POST /subscriptions with the
 * chosen topics ("all", "article:<id>"), and DELETE /subscriptions (endpoint +
 * auth) to turn notifications off. Topics are remembered in localStorage and
 * in Cache Storage, where the service worker finds them to re-subscribe on
 * pushsubscriptionchange.
 */
(() => {
  "use strict";

  const script = document.currentScript;
  const config = {
    api: ((script && script.dataset.api) || "").replace(/\/+$/, ""),
    articleId: (script && script.dataset.articleId) || "",
    worker: (script && script.dataset.serviceWorker) || "/sw.js",
    // The title of a notification whose push the service worker cannot read.
    site:
      (script && script.dataset.siteName) ||
      (document.querySelector('meta[property="og:site_name"]') || {}).content ||
      location.hostname,
  };
  const TOPIC_ALL = "all";
  const followTopic = config.articleId ? `article:${config.articleId}` : "";
  const STORAGE_KEY = "stoppress.topics";
  const STATE_CACHE = "stoppress";
  const STATE_URL = "/stoppress-state.json";
  const PROMPT = "Get the latest updates as we post them — right on your browser";

  const supported =
    "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

  let registration = null;
  let current = null; // the PushSubscription last used, when the browser hands one out
  let busy = false;

  // -- the prompt ----------------------------------------------------------------

  const root = document.querySelector("[data-stoppress-prompt]") || document.body.appendChild(document.createElement("div"));
  root.classList.add("stoppress");
  root.setAttribute("role", "region");
  root.setAttribute("aria-labelledby", "stoppress-heading");
  root.innerHTML = `
    <p class="stoppress__heading" id="stoppress-heading">${PROMPT}</p>
    <p class="stoppress__status" role="status" aria-live="polite"></p>
    <div class="stoppress__actions">
      <button type="button" class="stoppress__toggle" data-action="all"></button>
      <button type="button" class="stoppress__follow" data-action="follow" aria-pressed="false" hidden>Follow this story</button>
    </div>`;
  const statusEl = root.querySelector(".stoppress__status");
  const mainButton = root.querySelector('[data-action="all"]');
  const followButton = root.querySelector('[data-action="follow"]');

  function savedTopics() {
    try {
      const topics = JSON.parse(localStorage.getItem(STORAGE_KEY) || "[]");
      return Array.isArray(topics) ? topics.filter((t) => typeof t === "string") : [];
    } catch {
      return [];
    }
  }

  function rememberTopics(topics) {
    try {
      if (topics.length) localStorage.setItem(STORAGE_KEY, JSON.stringify(topics));
      else localStorage.removeItem(STORAGE_KEY);
    } catch {
      /* storage may be off (private mode); the API still has the topics */
    }
  }

  async function saveTopics(topics) {
    rememberTopics(topics);
    if ("caches" in window) {
      const cache = await caches.open(STATE_CACHE);
      await cache.put(
        STATE_URL,
        new Response(JSON.stringify({ api: config.api, site: config.site, topics }), {
          headers: { "content-type": "application/json" },
        }),
      );
    }
  }

  // The service worker changes the topics too (a notification's "Unfollow story").
  async function topicsFromWorker() {
    if (!("caches" in window)) return;
    try {
      const response = await (await caches.open(STATE_CACHE)).match(STATE_URL);
      const state = response && (await response.json());
      if (state && Array.isArray(state.topics)) rememberTopics(state.topics);
    } catch {
      /* no saved state: localStorage stands */
    }
  }

  function render(state, message) {
    root.dataset.state = state;
    if (state === "working") {
      // Keep the buttons as they are (no flicker), just not clickable twice.
      mainButton.disabled = followButton.disabled = true;
      statusEl.textContent = "One moment…";
      return;
    }
    const topics = savedTopics();
    const subscribed = state === "subscribed";
    mainButton.hidden = state === "unsupported" || state === "denied";
    mainButton.disabled = busy;
    mainButton.textContent = subscribed && topics.includes(TOPIC_ALL) ? "Turn off notifications" : "Turn on notifications";
    followButton.hidden = !followTopic || mainButton.hidden;
    followButton.disabled = busy;
    const following = subscribed && topics.includes(followTopic);
    // A toggle button keeps its name; aria-pressed says whether it is on.
    followButton.setAttribute("aria-pressed", String(following));
    const messages = {
      unsupported: "This browser can't show push notifications from this site.",
      denied: "Notifications are blocked for this site. To get updates, allow them in your browser's site settings, then reload.",
      idle: "",
      subscribed: following && !topics.includes(TOPIC_ALL)
        ? "You'll be notified when this story is updated."
        : following
          ? "You'll get our latest news, and updates to this story."
          : "You'll get our latest news.",
      error: "",
    };
    statusEl.textContent = message || messages[state] || "";
  }

  // -- talking to the API ---------------------------------------------------------

  async function api(method, path, body) {
    const response = await fetch(config.api + path, {
      method,
      mode: "cors",
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) {
      let message = `The server answered ${response.status}.`;
      try {
        const data = await response.json();
        if (data && data.error && data.error.message) message = data.error.message;
      } catch {
        /* not JSON */
      }
      throw new Error(message);
    }
    return response.status === 204 ? null : response.json();
  }

  function keyBytes(base64url) {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  function sameBytes(a, b) {
    return a.length === b.length && a.every((byte, i) => byte === b[i]);
  }

  async function pushSubscription() {
    const { publicKey } = await api("GET", "/vapid-public-key");
    const key = keyBytes(publicKey);
    const existing = await registration.pushManager.getSubscription();
    if (existing) {
      const used = existing.options && existing.options.applicationServerKey;
      if (!used || sameBytes(new Uint8Array(used), key)) return existing;
      // The site's key changed (a new VAPID key pair): pushes to the old subscription fail.
      await existing.unsubscribe();
    }
    return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  }

  // -- what the buttons do ----------------------------------------------------------

  async function setTopics(topics) {
    if (!topics.length) {
      const subscription = current || (await registration.pushManager.getSubscription());
      if (subscription) {
        const json = subscription.toJSON();
        await api("DELETE", "/subscriptions", { endpoint: json.endpoint, auth: json.keys.auth });
        if (typeof subscription.unsubscribe === "function") await subscription.unsubscribe();
      }
      current = null;
      await saveTopics([]);
      render("idle", "Notifications are off.");
      return;
    }
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      render(permission === "denied" ? "denied" : "idle", permission === "denied" ? "" : "Notifications stay off: permission was not given.");
      return;
    }
    current = await pushSubscription();
    const stored = await api("POST", "/subscriptions", { subscription: current.toJSON(), topics });
    // The server keeps at most 20 topics, letting the oldest story follows go: remember its list.
    await saveTopics(stored && Array.isArray(stored.topics) ? stored.topics : topics);
    render("subscribed");
  }

  async function toggle(topic) {
    if (busy) return;
    const topics = new Set(savedTopics());
    if (topics.has(topic)) topics.delete(topic);
    else topics.add(topic);
    busy = true;
    render("working");
    try {
      await setTopics([...topics]);
    } catch (error) {
      render(savedTopics().length ? "subscribed" : "idle", `Something went wrong: ${error.message}`);
    } finally {
      busy = false;
      mainButton.disabled = false;
      followButton.disabled = false;
    }
  }

  mainButton.addEventListener("click", () => toggle(TOPIC_ALL));
  followButton.addEventListener("click", () => toggle(followTopic));

  // -- start -------------------------------------------------------------------------

  async function start() {
    if (!supported || !config.api) {
      render("unsupported");
      return;
    }
    if (Notification.permission === "denied") {
      render("denied");
    } else {
      render("idle");
    }
    try {
      registration = await navigator.serviceWorker.register(config.worker);
      await navigator.serviceWorker.ready;
    } catch (error) {
      render("unsupported", `Notifications are unavailable here (${error.message}).`);
      return;
    }
    if (Notification.permission === "denied") return;
    await topicsFromWorker();
    const existing = await registration.pushManager.getSubscription();
    if (existing && Notification.permission === "granted" && savedTopics().length) {
      current = existing;
      render("subscribed");
    } else if (!existing) {
      await saveTopics([]);
      render("idle");
    }
  }

  window.stoppress = { ready: start(), config };
})();
