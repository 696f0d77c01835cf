"""The list of registered models: name -> where its class lives."""
from core.models.base import register

register("neuralfactors", "core.models.neuralfactors.model", "NeuralFactorsModel",
         "NeuralFactors (Gopal 2024): neural exposures, Student-t factors and noise, IWAE training")
