"""Training machinery: device choice, checkpoints (safetensors + JSON), THE trainer (trainer.py) every network uses, distributed launch."""
