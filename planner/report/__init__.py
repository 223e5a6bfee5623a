"""Human-readable output of a run."""
