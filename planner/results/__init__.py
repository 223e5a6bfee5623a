"""A solved model -> tidy tables, loop shares, mass-balance check and summary."""
