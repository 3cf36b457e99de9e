"""Control: every way a performer reaches the instrument.

The parameter registry and its kinds, the control bus, OSC, MIDI and its clock,
patches, mappings and soft takeover. Controls arrive on their own threads and reach
the show as `Control` messages on the bus. May import `runtime` and `video` (the
look's defaults and colour names).
"""
