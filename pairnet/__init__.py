"""pairnet: geospatial network analysis of inter-city pairing and mobility.

The front door: the ``pairnet`` command line (:mod:`pairnet.cli`), study files and the demo
pipeline. The work is done by the layers ``spatial``, ``network``, ``panels``, ``analyses`` and
``maps``.
"""

__version__ = "0.1.0"
