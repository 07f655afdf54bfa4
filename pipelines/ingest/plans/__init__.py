"""Each source's sync plan: what it reads, in which order, and when its cursors move.

A plan is `sync(settings, loader, client, full_refresh)`: it builds its connector on the client it is
given, writes through the `Loader`, and moves cursors only after the data they cover is queued.
"""
