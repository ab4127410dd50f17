"""Runs whose numbers do not depend on the machine's thread count.

A multi-threaded BLAS (OpenBLAS here) splits the sums of a matrix product between threads, so
the last bits of a covariance or an estimate depended on ``OMP_NUM_THREADS``: ``pairnet did``
under 1 and 2 threads gave Sun–Abraham and event-study standard errors ~1e-12 apart.
:func:`single_threaded_blas` runs a block with the BLAS limited to one thread (threadpoolctl),
so reruns are byte-identical on any machine. The command line and
:func:`pairnet.pipeline.run_report` run inside it.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

__all__ = ["single_threaded_blas", "blas_single_threaded"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Limit the BLAS / LAPACK thread pools to one thread inside the block.

    numpy and scipy are imported first so their BLAS is loaded (and so limited).
    """
    import numpy  # noqa: F401  (loads OpenBLAS, so threadpoolctl sees it)
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def blas_single_threaded(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Decorate a library entry point so it computes inside :func:`single_threaded_blas`.

    The suites (DID, city panel, land) give the same bytes from Python as from the command
    line, whatever ``OMP_NUM_THREADS``: HonestDiD's linear programmes turned 1e-16 differences
    of a threaded covariance into 1e-10 differences of its bounds.
    """

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with single_threaded_blas():
            return fn(*args, **kwargs)

    return wrapper
