"""Runtime: a trained bundle in onnxruntime and the dance it dreams.

The bundle (manifest and ONNX files), the engine (step, decode, encode on the best
provider) and the rollout (re-projection, motion gain, noise). Imports only the
top-level `config` and `errors`; everything that plays or renders builds on it.
"""
