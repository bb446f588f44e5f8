"""What every stage shares: typed errors, settings, observability, warm state, base64url."""
