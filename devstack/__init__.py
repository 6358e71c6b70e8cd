"""Docker-free local stack: API adapter, upstream sandbox and AWS emulator wiring."""
