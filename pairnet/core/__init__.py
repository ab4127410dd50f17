"""The foundation every layer builds on: errors, table I/O, options, results and outputs.

Nothing here knows about geometry, graphs or estimators.
"""
