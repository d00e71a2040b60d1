"""Redis persistence: key layout, Lua scripts (one per atomic transition), the embedded server."""
