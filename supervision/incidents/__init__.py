"""Boundary incidents: who may see one, the use cases that write, the fidelity figures."""
