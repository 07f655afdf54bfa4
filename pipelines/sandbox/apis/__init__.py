"""The four API simulators, each a list of Starlette routes under its own path prefix."""
