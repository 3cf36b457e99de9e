"""Camera: a dancer in front of a webcam or a video file, as silhouettes and latents.

The frame source, the stage (figure extraction and encoding) and the capture thread
that feeds the live show. May import `data` (silhouettes) and `runtime` (encoding).
"""
