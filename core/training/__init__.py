"""Training machinery: device choice, checkpoints (safetensors + JSON), the training loop, the CLI command."""
