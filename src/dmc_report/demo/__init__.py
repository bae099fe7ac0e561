"""A synthetic, seeded demo study modelled on the first trial."""
