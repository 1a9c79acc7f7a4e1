"""npusim-cache plugin package."""
