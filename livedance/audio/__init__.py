"""Audio: the music the dancer dances to.

Readers for an audio file played at real time or a live input (source), the per-block
analysis (levels, bands, onsets), the beat tracker, the features a patch maps onto the
parameter registry, and the input thread that ties them to the control bus. May import
`control` (the bus, patches and their mappings).
"""
