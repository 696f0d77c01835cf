"""Every registered model: name -> "module:Class" (imported on first use). The description,
label and capabilities live on each class (core.models.protocol)."""

CATALOGUE: dict[str, str] = {
    "neuralfactors": "core.models.neuralfactors.model:NeuralFactorsModel",
    "factorvae": "core.models.factorvae.model:FactorVAEModel",
    "ca0": "core.models.conditional_ae:CA0",
    "ca1": "core.models.conditional_ae:CA1",
    "ca2": "core.models.conditional_ae:CA2",
    "ca3": "core.models.conditional_ae:CA3",
    "pca": "core.models.ppca:PCAModel",
    "ppca": "core.models.ppca:PPCAModel",
    "ipca": "core.models.ipca:IPCAModel",
    "ts-regression": "core.models.predefined:TimeSeriesRegression",
    "xs-regression": "core.models.predefined:CrossSectionalRegression",
    "sample": "core.models.covariance:SampleCovariance",
    "ledoit-wolf": "core.models.covariance:LedoitWolfCovariance",
    "ewma": "core.models.covariance:EWMACovariance",
    "garch": "core.models.garch:GarchModel",
}
