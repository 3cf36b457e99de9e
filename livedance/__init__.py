"""livedance: a live, playable instrument that dreams up silhouette dance video."""

__version__ = "0.1.0"
