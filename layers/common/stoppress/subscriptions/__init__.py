"""Stored push subscriptions, shared by the subscribe and send stages: the ``model`` and its
table adapter (``table``: the SUB item and one member item per topic)."""
