"""Control: every way a performer reaches the instrument.

The parameter registry, the control bus, OSC, MIDI and its clock, patches, mappings
and soft takeover. Controls arrive on their own threads and reach the show as
`Control` messages on the bus. May import `runtime` and `video` (for the look's
parameters).
"""
