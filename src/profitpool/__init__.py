"""profitpool: an honest, verifiable engine for consumption-appreciation loyalty programs."""

__version__ = "0.1.0"

__all__ = ["__version__"]
