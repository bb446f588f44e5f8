/*
 * stoppress.js: "Get the latest updates as we post them — right on your browser".
 *
 * Drop it into an article page, dependency-free:
 *
 *   <div data-stoppress-prompt></div>
 *   <script src="/stoppress.js" defer
 *           data-api="https://api.example.com"      (the subscriptions HTTP API)
 *           data-article-id="nato-resumes-contacts" (optional: offers "Follow this story")
 *           data-tags="Politics, City Hall"         (optional: offers "Follow <section>" for each)
 *           data-site-name="The Stop Press"         (optional, default og:site_name or the host)
 *           data-service-worker="/sw.js"></script>  (optional, default /sw.js)
 *
 * data-tags may instead (or as well) sit on the [data-stoppress-prompt] element.
 *
 * It registers the service worker, asks for permission only when the reader
 * clicks, sends PushSubscription.toJSON() to POST /subscriptions with the
 * chosen topics ("all", "article:<id>", "tag:<slug>"), and DELETE /subscriptions
 * (endpoint + auth) to turn notifications off or to stop one follow. Topics are
 * remembered in localStorage and in Cache Storage, where the service worker
 * finds them to re-subscribe on pushsubscriptionchange.
 *
 * "You follow …" lists the reader's story and section follows, as POST
 * /subscriptions/lookup (endpoint + auth) gives them, each with its own
 * "Unfollow". At most once a day the same lookup re-syncs this browser with the
 * server: follows that have expired there are dropped here, and a subscription
 * the server does not know (a missed pushsubscriptionchange, or one that
 * expired) is sent again with the topics this browser remembers.
 */
(() => {
  "use strict";

  const script = document.currentScript;
  const promptElement = document.querySelector("[data-stoppress-prompt]");
  const TAG_PREFIX = "tag:";
  const ARTICLE_PREFIX = "article:";
  const MAX_TAG_SLUG_LENGTH = 60;

  // A section or tag name's slug, exactly as the server's tag_slug makes it
  // (stoppress/contracts/keys.py): "City Hall" -> "city-hall", "Économie" -> "economie";
  // null when nothing is left (a name in a script without Latin letters or digits).
  function tagSlug(name) {
    let slug = String(name)
      .normalize("NFKD")
      .replace(/[^\x00-\x7f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "");
    if (slug.length > MAX_TAG_SLUG_LENGTH) {
      const cut = slug.slice(0, MAX_TAG_SLUG_LENGTH);
      const lastHyphen = cut.lastIndexOf("-");
      slug = lastHyphen >= 0 ? cut.slice(0, lastHyphen) : cut;
    }
    return slug || null;
  }

  // The sections the page declares, in order, one per slug.
  function declaredTags(...lists) {
    const tags = new Map();
    for (const list of lists) {
      for (const raw of (list || "").split(",")) {
        const name = raw.trim().replace(/\s+/g, " ");
        const slug = name && tagSlug(name);
        if (slug && !tags.has(slug)) tags.set(slug, name);
      }
    }
    return [...tags].map(([slug, name]) => ({ slug, name, topic: TAG_PREFIX + slug }));
  }

  const config = {
    api: ((script && script.dataset.api) || "").replace(/\/+$/, ""),
    articleId: (script && script.dataset.articleId) || "",
    tags: declaredTags(script && script.dataset.tags, promptElement && promptElement.dataset.tags),
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
  const SYNCED_KEY = "stoppress.synced-at";
  const SYNC_INTERVAL_MS = 24 * 60 * 60 * 1000;
  const STATE_CACHE = "stoppress";
  const STATE_URL = "/stoppress-state.json";
  const PROMPT = "Get the latest updates as we post them — right on your browser";

  const supported =
    "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

  let registration = null;
  let current = null; // the PushSubscription last used, when the browser hands one out
  let busy = false;
  // What the last lookup said of each follow (a story's headline), by topic.
  const known = new Map();

  // -- the prompt ----------------------------------------------------------------

  const root = promptElement || document.body.appendChild(document.createElement("div"));
  root.classList.add("stoppress");
  root.setAttribute("role", "region");
  root.setAttribute("aria-labelledby", "stoppress-heading");
  root.innerHTML = `
    <p class="stoppress__heading" id="stoppress-heading">${PROMPT}</p>
    <p class="stoppress__status" role="status" aria-live="polite"></p>
    <div class="stoppress__actions">
      <button type="button" class="stoppress__toggle" data-action="all"></button>
      <button type="button" class="stoppress__follow" data-action="follow" aria-pressed="false" hidden>Follow this story</button>
    </div>
    <details class="stoppress__following" hidden>
      <summary class="stoppress__following-summary"></summary>
      <ul class="stoppress__following-list" aria-label="What you follow"></ul>
    </details>`;
  const statusEl = root.querySelector(".stoppress__status");
  const mainButton = root.querySelector('[data-action="all"]');
  const followButton = root.querySelector('[data-action="follow"]');
  const followingEl = root.querySelector(".stoppress__following");
  const summaryEl = root.querySelector(".stoppress__following-summary");
  const listEl = root.querySelector(".stoppress__following-list");
  // Names come from the page: text, never markup.
  const tagButtons = config.tags.map((tag) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "stoppress__follow stoppress__follow--section";
    button.dataset.topic = tag.topic;
    button.setAttribute("aria-pressed", "false");
    button.hidden = true;
    button.textContent = `Follow ${tag.name}`;
    root.querySelector(".stoppress__actions").appendChild(button);
    return button;
  });

  function setDisabled(disabled) {
    for (const button of root.querySelectorAll("button")) button.disabled = disabled;
  }

  const isStory = (topic) => topic.startsWith(ARTICLE_PREFIX);
  const isSection = (topic) => topic.startsWith(TAG_PREFIX);
  const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

  function followName(topic) {
    const follow = known.get(topic);
    if (isStory(topic)) {
      const headline = follow && typeof follow.headline === "string" ? follow.headline : "";
      return headline || topic.slice(ARTICLE_PREFIX.length);
    }
    const slug = topic.slice(TAG_PREFIX.length);
    const declared = config.tags.find((tag) => tag.slug === slug);
    return declared ? declared.name : slug.replace(/-/g, " ");
  }

  function followingSummary(stories, sections) {
    const parts = [];
    if (stories) parts.push(plural(stories, "story", "stories"));
    if (sections) parts.push(plural(sections, "section", "sections"));
    return `You follow ${parts.join(" and ")}`;
  }

  function renderFollowing(topics, subscribed) {
    const follows = subscribed ? topics.filter((t) => isStory(t) || isSection(t)) : [];
    followingEl.hidden = !follows.length;
    summaryEl.textContent = followingSummary(follows.filter(isStory).length, follows.filter(isSection).length);
    listEl.replaceChildren(
      ...follows.map((topic) => {
        const item = document.createElement("li");
        item.className = "stoppress__following-item";
        const kind = document.createElement("span");
        kind.className = "stoppress__following-kind";
        kind.textContent = isStory(topic) ? "Story" : "Section";
        const name = document.createElement("span");
        name.className = "stoppress__following-name";
        name.textContent = followName(topic);
        const unfollowButton = document.createElement("button");
        unfollowButton.type = "button";
        unfollowButton.className = "stoppress__unfollow";
        unfollowButton.dataset.topic = topic;
        unfollowButton.disabled = busy;
        unfollowButton.textContent = "Unfollow";
        unfollowButton.setAttribute("aria-label", `Unfollow ${name.textContent}`);
        item.append(kind, " ", name, " ", unfollowButton);
        return item;
      }),
    );
  }

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
      setDisabled(true);
      statusEl.textContent = "One moment…";
      return;
    }
    const topics = savedTopics();
    const subscribed = state === "subscribed";
    mainButton.hidden = state === "unsupported" || state === "denied";
    mainButton.textContent = subscribed && topics.includes(TOPIC_ALL) ? "Turn off notifications" : "Turn on notifications";
    followButton.hidden = !followTopic || mainButton.hidden;
    const following = subscribed && topics.includes(followTopic);
    // A toggle button keeps its name; aria-pressed says whether it is on.
    followButton.setAttribute("aria-pressed", String(following));
    for (const button of tagButtons) {
      button.hidden = mainButton.hidden;
      button.setAttribute("aria-pressed", String(subscribed && topics.includes(button.dataset.topic)));
    }
    renderFollowing(topics, subscribed);
    setDisabled(busy);
    const messages = {
      unsupported: "This browser can't show push notifications from this site.",
      denied: "Notifications are blocked for this site. To get updates, allow them in your browser's site settings, then reload.",
      idle: "",
      subscribed: following && !topics.includes(TOPIC_ALL)
        ? "You'll be notified when this story is updated."
        : following
          ? "You'll get our latest news, and updates to this story."
          : topics.includes(TOPIC_ALL)
            ? "You'll get our latest news."
            : "You'll be notified about what you follow.",
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
      const error = new Error(message);
      error.status = response.status;
      throw error;
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
      setDisabled(false);
    }
  }

  // Brings this browser and the server to one list of topics. The server's answer
  // wins (a follow that expired there is gone); a subscription it does not know is
  // sent again with the topics remembered here.
  async function reconcile(subscription) {
    const json = subscription.toJSON();
    if (!json.keys || !json.keys.auth) return;
    let found;
    try {
      found = await api("POST", "/subscriptions/lookup", { endpoint: json.endpoint, auth: json.keys.auth });
    } catch (error) {
      if (error.status !== 403) throw error;
      const topics = savedTopics();
      if (!topics.length) return;
      const stored = await api("POST", "/subscriptions", { subscription: json, topics });
      await saveTopics(stored && Array.isArray(stored.topics) ? stored.topics : topics);
      return;
    }
    known.clear();
    for (const follow of Array.isArray(found.follows) ? found.follows : []) {
      if (follow && typeof follow.topic === "string") known.set(follow.topic, follow);
    }
    const topics = Array.isArray(found.topics) ? found.topics.filter((t) => typeof t === "string") : [];
    await saveTopics(topics);
  }

  // Whether the once-a-day re-sync is due; claims today's turn when it is. Without
  // storage there is no telling when the last one ran, so it never runs.
  function syncDue() {
    try {
      const now = Date.now();
      const last = Number(localStorage.getItem(SYNCED_KEY)) || 0;
      // A clock set back past the last sync counts as a new day.
      if (last && last <= now && now - last < SYNC_INTERVAL_MS) return false;
      localStorage.setItem(SYNCED_KEY, String(now));
      return true;
    } catch {
      return false;
    }
  }

  async function refreshFollowing() {
    if (busy || !registration) return;
    const subscription = current || (await registration.pushManager.getSubscription());
    if (!subscription) return;
    busy = true;
    listEl.setAttribute("aria-busy", "true");
    let message = "";
    try {
      await reconcile(subscription);
    } catch (error) {
      message = `Couldn't load what you follow: ${error.message}`;
    } finally {
      busy = false;
      listEl.removeAttribute("aria-busy");
    }
    render(savedTopics().length ? "subscribed" : "idle", message);
  }

  async function unfollow(topic) {
    if (busy) return;
    const name = followName(topic);
    busy = true;
    render("working");
    let message;
    try {
      const subscription = current || (await registration.pushManager.getSubscription());
      if (subscription) {
        const json = subscription.toJSON();
        try {
          await api("DELETE", "/subscriptions", { endpoint: json.endpoint, auth: json.keys.auth, topics: [topic] });
        } catch (error) {
          // 403: the server knows no such subscription, so nothing is followed there either.
          if (error.status !== 403) throw error;
        }
      }
      known.delete(topic);
      await saveTopics(savedTopics().filter((t) => t !== topic));
      message = `You no longer follow “${name}”.`;
    } catch (error) {
      message = `Something went wrong: ${error.message}`;
    } finally {
      busy = false;
    }
    render(savedTopics().length ? "subscribed" : "idle", message);
    // The button that was clicked is gone: keep the keyboard where the list was.
    if (!followingEl.hidden) summaryEl.focus();
    else mainButton.focus();
  }

  mainButton.addEventListener("click", () => toggle(TOPIC_ALL));
  followButton.addEventListener("click", () => toggle(followTopic));
  for (const button of tagButtons) button.addEventListener("click", () => toggle(button.dataset.topic));
  followingEl.addEventListener("toggle", () => {
    if (followingEl.open) refreshFollowing();
  });
  listEl.addEventListener("click", (event) => {
    const button = event.target.closest(".stoppress__unfollow");
    if (button) unfollow(button.dataset.topic);
  });

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
    if (existing && Notification.permission === "granted") {
      current = existing;
      if (savedTopics().length) render("subscribed");
      if (syncDue()) {
        try {
          await reconcile(existing);
        } catch {
          /* offline or the API is down: the next day's visit tries again */
        }
        render(savedTopics().length ? "subscribed" : "idle");
      }
    } else if (!existing) {
      await saveTopics([]);
      render("idle");
    }
  }

  window.stoppress = { ready: start(), config, tagSlug };
})();
