"""Reference components shipped with the kernel: simple DRAM, simple NoC, no cache, analytic core."""
