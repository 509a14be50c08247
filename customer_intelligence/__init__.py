"""Customer intelligence as code: the Python side of the dbt project.

Modules here are small, pure and tested with pytest (``python_tests/``); the dbt Python
models under ``models/`` only load their inputs, call these functions and return a frame.
"""

__version__ = "0.1.0"
