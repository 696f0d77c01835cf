"""The contract between models and everything that uses them (the bottom floor above errors/io):
`FactorForecast` (day t+1), `ForecastSeries` (+ compact storage) and the distributions as objects.
Nothing here knows a model by name."""
from core.forecast.distributions import Normal, StudentT, distribution
from core.forecast.factor_forecast import FactorForecast, restrict
from core.forecast.series import ForecastSeries

__all__ = ["FactorForecast", "ForecastSeries", "Normal", "StudentT", "distribution", "restrict"]
