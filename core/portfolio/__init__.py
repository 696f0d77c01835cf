"""Portfolios from any FactorForecast: cvxpy optimisation in factor form, backtests, metrics,
and weight validation for user input."""
