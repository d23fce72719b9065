"""The simulator: what a program's rules really do, before anyone's money is in it.

``profitpool simulate SCENARIO`` reads a scenario (TOML, see docs/simulator.md),
runs it many times through the one engine (:mod:`profitpool.engine`), in
parallel processes or on a Dask cluster, and writes a report that states what
happened: prices, payouts, exits, who funded whom, and the regulators' red lines.
"""
