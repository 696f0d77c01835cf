"""Risk in factor form: portfolio moments and decomposition, VaR / CVaR, likelihoods,
covariance and calibration scores, VaR backtests. No function here builds an N x N matrix
except `covariance.whitening_scores` (on the p stocks present through a split) and
`covariance.correlation_error` (for display)."""
