"""Domain events: what changed, published to subscribers after the transaction commits."""
