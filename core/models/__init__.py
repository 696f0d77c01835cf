"""Factor and covariance models behind one contract (core.models.protocol), registered in core.models.registry."""
