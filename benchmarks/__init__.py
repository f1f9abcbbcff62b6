"""Benchmarks of hops-widgets against the local sandbox: ``python -m benchmarks`` (or ``make bench``).

One module per topic (freshness, cost, scale, kernel, frontend); each returns a
:class:`benchmarks._common.Section` with its table rows and raw figures.
"""
