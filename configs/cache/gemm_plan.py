# Persistent-L2 plan (PyTorchSim SRAM_BUFFER_PLAN_PATH format, TPUv4 CMEM): tensors named here, as the
# frontend names them, are cacheable; every other tensor bypasses the L2. arg1_1 = a GEMM's weights.
plan = {
    "arg1_1"
}
