"""Event-driven multi-core TOG simulator (C++ via cppyy) and its Python orchestration."""
