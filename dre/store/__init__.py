"""Redis persistence: key layout and Lua scripts (one per atomic transition)."""
