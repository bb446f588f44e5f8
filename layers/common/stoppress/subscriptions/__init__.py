"""Push subscriptions: who is notified, about which topics, and the rules they must meet."""
