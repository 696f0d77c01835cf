"""The application layer: for a Panel, the forecasts of a model (sources) and one module per analysis a PM asks
about (portfolios, exposures, factor_names, var, covariance, components, scenarios, backtests, clusters, active,
ablation, stress, shocks, attribution; realised: the factor returns the last two share), as functions of objects; keys parses the dataset and model keys. The dashboard wraps these in caches,
the CLI, the evaluation and the report call them directly."""
from core.workbench.portfolios import PORTFOLIOS, Risk, named_portfolio, optimise, portfolio_risk
from core.workbench.sources import TRUTH, Forecasts, available, forecast_dates, forecasts, view_dates

__all__ = ["PORTFOLIOS", "TRUTH", "Forecasts", "Risk", "available", "forecast_dates", "forecasts", "named_portfolio",
           "optimise", "portfolio_risk", "view_dates"]
