"""Training: the Keras networks, the training run and the ONNX export.

The only TensorFlow importers in livedance. May import `data` and `runtime`; nothing
in the live path imports this package.
"""
