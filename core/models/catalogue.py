"""Every registered model: name -> "module:Class" (imported on first use). The description,
label and capabilities live on each class (core.models.protocol); DECLARED repeats the few that are asked of every
model before any is used, so that asking imports none of them."""

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

#: what the views ask of every model to offer it (its label, capabilities, calibration layer's half-life: None for maps
#: only or no layer), as its class declares it: listing the models on the dashboard's first page imported every model
#: (torch, arch: 1.6 s of CPU of its cold start). core.models.registry.declared reads it; tests/core/models/
#: test_registry.py fails, naming the entry, when an entry differs from its class.
DECLARED: dict[str, dict[str, object]] = {
    "neuralfactors": {"label": "NeuralFactors", "learned": True, "zero_shot": True, "quick_fit": False,
                      "has_factors": True, "calibratable": True, "half_life": 252.0},
    "factorvae": {"label": "FactorVAE", "learned": True, "zero_shot": True, "quick_fit": False, "has_factors": True,
                  "calibratable": True, "half_life": None},
    **{f"ca{k}": {"label": f"Conditional autoencoder CA{k}", "learned": True, "zero_shot": False, "quick_fit": False,
                  "has_factors": True, "calibratable": True, "half_life": float("inf")} for k in range(4)},
    "pca": {"label": "PCA", "learned": False, "zero_shot": False, "quick_fit": True, "has_factors": True,
            "calibratable": True, "half_life": 252.0},
    "ppca": {"label": "PPCA", "learned": False, "zero_shot": False, "quick_fit": True, "has_factors": True,
             "calibratable": True, "half_life": 252.0},
    "ipca": {"label": "IPCA", "learned": False, "zero_shot": False, "quick_fit": False, "has_factors": True,
             "calibratable": True, "half_life": float("inf")},
    "ts-regression": {"label": "Regression on given factors", "learned": False, "zero_shot": False,
                      "quick_fit": False, "has_factors": True, "calibratable": True, "half_life": None},
    "xs-regression": {"label": "Cross-sectional sector regression", "learned": False, "zero_shot": False,
                      "quick_fit": False, "has_factors": True, "calibratable": True, "half_life": 252.0},
    "sample": {"label": "Sample covariance", "learned": False, "zero_shot": False, "quick_fit": True,
               "has_factors": False, "calibratable": True, "half_life": None},
    "ledoit-wolf": {"label": "Ledoit-Wolf shrinkage", "learned": False, "zero_shot": False, "quick_fit": True,
                    "has_factors": False, "calibratable": True, "half_life": None},
    "ewma": {"label": "EWMA covariance", "learned": False, "zero_shot": False, "quick_fit": True, "has_factors": False,
             "calibratable": True, "half_life": float("inf")},
    "garch": {"label": "GARCH(1,1)-t (univariate)", "learned": False, "zero_shot": False, "quick_fit": False,
              "has_factors": False, "calibratable": False, "half_life": None},
}
