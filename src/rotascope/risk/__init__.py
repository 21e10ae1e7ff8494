"""The decision/risk agent's toolkit: sizing, invalidation levels, stress scenarios, drawdown and exit rules.

Pure functions over plain arrays and an as-of row index (no I/O); every result is a typed, rounded
:class:`rotascope.records.Record` so analyses stay byte-identical run to run. Everything reads rows
``<= t`` only: the backtest and the live monitor call the same code.

Import from the submodules (``rotascope.risk.sizing`` …): this package runs nothing on import, so
``rotascope.records`` can use the risk records without an import cycle.
"""
