"""NeuralFactors core: data, factor models, risk, portfolios and evaluation (no UI code)."""

__version__ = "0.1.0"
