"""The science of Patina: pure functions on numbers, NumPy arrays and pandas objects.

Nothing in this package performs I/O beyond reading a file it is handed, reads a clock
or keeps global state. Every threshold and formula names its source in its docstring.
"""
