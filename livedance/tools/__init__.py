"""Tools: commands that measure or replay: render, eval, metrics, bench, replay, and the
soak (with its scripted performer and the floods it can add).

They stand on top of everything but `training`, and nothing imports them except the CLI
and each other.
"""
