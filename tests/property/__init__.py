"""Property tests: random sequences of use cases, with the invariants checked after each step."""
