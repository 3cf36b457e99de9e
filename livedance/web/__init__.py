"""A control page in any browser: the registry's parameters as faders and buttons, a preview and the status line."""
