"""The benchmark harness (`make bench`): load generators, baselines and the run orchestrator."""
