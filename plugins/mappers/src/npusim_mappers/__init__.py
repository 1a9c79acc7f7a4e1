"""npusim-mappers plugin package."""
