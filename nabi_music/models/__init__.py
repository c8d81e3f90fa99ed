"""The models: presets, Keras builders, the NumPy runner, bundles and training history."""
