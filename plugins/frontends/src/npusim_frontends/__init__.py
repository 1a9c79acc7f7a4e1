"""npusim-frontends plugin package."""
