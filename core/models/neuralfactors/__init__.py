"""NeuralFactors (Gopal 2024): a neural network gives each stock Student-t exposures to learned
Student-t factors; trained with the IWAE bound under a closed-form Gaussian posterior.
Modules: likelihood (densities and bounds), config (presets), network (the embedder),
batches (model inputs from Features), model (the RiskModel), sectors (a file's sector names matched to
the training sectors), finetune (starting from a trained network on another universe)."""
