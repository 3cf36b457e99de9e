"""Tools: commands that measure or replay: render, eval, metrics, bench, replay.

They stand on top of everything but `training`, and nothing imports them except the CLI
and each other.
"""
