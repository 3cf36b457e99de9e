"""Control: every way a performer reaches the instrument.

The parameter registry and its kinds, the control bus, OSC, MIDI and its clock,
patches, mappings and soft takeover, and who may reach a listener (`allow`). Controls
arrive on their own threads and reach the show as `Control` messages on the bus; the MIDI
clock's tempo goes to the tempo rule.
May import `runtime`, `video` (the look's defaults and colour names) and `sync` (the tempo
sources and their rule).
"""
