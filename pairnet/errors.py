"""pairnet's exception hierarchy (defined in the leftmost layer, :mod:`spatial.errors`)."""

from spatial.errors import *  # noqa: F403
from spatial.errors import __all__  # noqa: F401
