"""Subscribe: the browser-facing API's rules. ``requests`` validates what browsers send;
``service`` subscribes and unsubscribes through the ``subscriptions`` store, and lists
what a reader follows through ``follows_table``; ``engagement`` counts what readers do
with a notification through ``engagement_table``."""
