"""Web Push primitives (RFC 8030, 8291, 8292): headers, message encryption, VAPID, and
the rules a push endpoint must meet."""
