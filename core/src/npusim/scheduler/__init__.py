"""Multi-tenancy: request queues on core partitions sharing DRAM/NoC/L2, Poisson load (PyTorchSim-shaped API)."""
from npusim.scheduler.load import poisson_request_generator
from npusim.scheduler.models import SchedulerDNNModel
from npusim.scheduler.request import Request
from npusim.scheduler.scheduler import Scheduler

__all__ = ["Scheduler", "SchedulerDNNModel", "Request", "poisson_request_generator"]
