"""Index universes: point-in-time membership."""
