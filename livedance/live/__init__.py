"""Live: the instrument on stage.

The `live` command builds an `Instrument` (pacing, the per-frame pipeline, the window)
from a bundle, a look and the controllers; the choreographer, mixer, modes, actions,
keys, HUD and model switcher are its parts. May import every package above except
`training` and `tools`.
"""
