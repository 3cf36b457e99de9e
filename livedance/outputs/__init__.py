"""Outputs: where the show's frames go besides the window, each on its own thread.

A `Sink` takes frames from the display thread through a latest-value slot and never makes it
wait: NDI streams, Syphon and Spout textures and virtual cameras are sinks (optional extras,
each refusing in one line where it cannot run). May import `video` (frames at output size)
and the top-level `worker`.
"""
