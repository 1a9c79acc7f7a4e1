"""npusim-noc plugin package."""
