"""Video: frames at output size.

The compositor (crisp upscaling, colours, trails, several dancers), output sizes and
video file writers. May import `runtime`.
"""
