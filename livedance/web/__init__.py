"""The control page: any browser plays the show, from a page generated from the parameter registry.

A threaded WebSocket server (the optional `web` extra) serves the page and its two static files,
hands what pages send to the `ControlBus` (checked like OSC), sends back every applied value and
the HUD's status line, and a preview `Sink` sends small JPEG frames. May import `control`,
`outputs` and the top-level `errors` and `worker`; only `live` imports it.
"""
