"""Web Push: the payload contract, fan-out planning and push jobs."""
