"""Live: the instrument on stage.

The `live` command builds an `Instrument` from `LiveSettings`: the instrument only plays
(pacing, the per-frame pipeline, the window). What is dancing and what the performer set is
the `Performance`, which the mixer, actions and modes reach through the narrow `Show`
interface; recording on demand (`takes`), model switches (`switcher`), frame statistics,
the choreographer, keys and HUD are parts of their own; the outputs (NDI...) are fed per
frame. May import every package above except `training` and `tools`.
"""
