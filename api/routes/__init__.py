"""HTTP routes, one module per area; each is a Blueprint mounted by api.app.create_app."""
