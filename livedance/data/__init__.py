"""Data: from motion capture, procedural dances and videos to silhouette datasets.

BVH reading, forward kinematics, the body renderer, solo arms for partner dances, the
procedural dancer, video silhouettes and the `.npz` dataset. Offline only; imports the
top-level `config` and `errors`, nothing else of livedance.
"""
