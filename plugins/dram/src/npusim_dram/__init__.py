"""npusim-dram plugin package."""
