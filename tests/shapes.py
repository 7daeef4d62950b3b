"""Files of the shapes real projects hold, shared by the tests and the benchmarks (bench/ imports it)."""

from __future__ import annotations


def manifest(services: int) -> list[str]:
    """The lines of a Kubernetes-like YAML file of `services` top-level entries, ten lines each."""
    lines = []
    for i in range(services):
        lines += [
            f"service_{i}:",
            f"  image: registry.example.com/app:{i}",
            f"  replicas: {i % 5}",
            "  env:",
            f"    - name: LOG_LEVEL_{i}",
            "      value: info",
            f"  description: service number {i}",
            "  ports:",
            f"    - {8000 + i % 100}",
            "",
        ]
    return lines
