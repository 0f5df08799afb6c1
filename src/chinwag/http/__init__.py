"""The HTTP layer: Starlette lives only here. One module per resource under resources/."""
