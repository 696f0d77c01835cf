"""Factor and covariance models behind one contract (see core.models.base)."""
