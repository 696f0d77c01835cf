"""The list of registered models: name -> where its class lives."""
from core.models.base import register

register("neuralfactors", "core.models.neuralfactors.model", "NeuralFactorsModel",
         "NeuralFactors (Gopal 2024): neural exposures, Student-t factors and noise, IWAE training")
register("ca0", "core.models.conditional_ae", "CA0", "Gu-Kelly-Xiu conditional autoencoder CA0 (linear beta net) + factor covariance")
register("ca1", "core.models.conditional_ae", "CA1", "Gu-Kelly-Xiu conditional autoencoder CA1 (beta net 32) + factor covariance")
register("ca2", "core.models.conditional_ae", "CA2", "Gu-Kelly-Xiu conditional autoencoder CA2 (beta net 32-16) + factor covariance")
register("ca3", "core.models.conditional_ae", "CA3", "Gu-Kelly-Xiu conditional autoencoder CA3 (beta net 32-16-8) + factor covariance")
register("pca", "core.models.ppca", "PCAModel", "PCA on a 504-day window, k chosen on validation, per-stock residual variance")
register("ppca", "core.models.ppca", "PPCAModel", "PPCA (Tipping-Bishop), 504-day window, Normal factors, Student-t noise")
register("ipca", "core.models.ipca", "IPCAModel", "IPCA (Kelly-Pruitt-Su): exposures linear in ranked characteristics, ALS")
register("ts-regression", "core.models.predefined", "TimeSeriesRegression", "Rolling regression of each stock on benchmark and factor series")
register("xs-regression", "core.models.predefined", "CrossSectionalRegression", "Daily cross-sectional regression on sector dummies (+ characteristics)")
register("sample", "core.models.covariance", "SampleCovariance", "Sample covariance of the last 252 days")
register("ledoit-wolf", "core.models.covariance", "LedoitWolfCovariance", "Ledoit-Wolf shrunk covariance of the last 252 days")
register("ewma", "core.models.covariance", "EWMACovariance", "EWMA covariance, lambda 0.94")
register("garch", "core.models.garch", "GarchModel", "GARCH(1,1)-t per stock; UNIVARIATE, no joint distribution")
