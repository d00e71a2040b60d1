"""HTTP layer: app factory (``app``), services started for the app's lifetime (``services``),
the server runner (``serve``), and thin routes that parse, call the actors and shape answers.
"""
