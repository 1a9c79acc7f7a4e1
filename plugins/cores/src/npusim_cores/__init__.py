"""npusim-cores plugin package."""
