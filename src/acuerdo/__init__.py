"""acuerdo: a status-of-forces agreement run as software.

Each party to the agreement runs its own node; the nodes keep each other in step.
Importing the package does no work: no settings are read, no engine or app is created.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
