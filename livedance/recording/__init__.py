"""Recording: what a show leaves behind, written off the display thread.

The crash-safe video recorder and the control session log. May import `video`
(writers) and `control`.
"""
