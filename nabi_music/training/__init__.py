"""Training: the tutorial's compiled loop, corpus training with Keras fit, distributed."""
