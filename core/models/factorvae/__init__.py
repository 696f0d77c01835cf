"""FactorVAE (Duan et al., AAAI 2022): a VAE whose decoder is a linear factor model and whose
prior of the factors is predicted by attention over the day's stocks (docs/models.md)."""
