"""A function's cold start, with the garbage collector kept out of it.

A cold start allocates about 90,000 objects (boto3, Powertools, pydantic, our models) that
live as long as the process: modules, classes, functions. Collecting while they are made
finds nothing to free, yet it scanned them over a hundred times and, in a full pass, all at
once: 30-45 ms of a 300 ms import on the bench's machine (one full pass alone 15-25 ms).

So every function module imports this module first (its own isort section in pyproject.toml),
which stops the collector, and calls `module_loaded()` as its last statement, which moves everything
imported into the permanent generation (`gc.freeze`: never scanned again, so a warm
invocation's full passes are shorter too) and starts the collector again. The pattern is the
`gc` module's own advice for long-lived start-up state.

Only the first function module a process loads is affected: on Lambda that is the only one;
in the local stack and the tests, the first one's `module_loaded()` turns the collector back on and
later imports run as usual.
"""

from __future__ import annotations

import gc

gc.disable()


def module_loaded() -> None:
    """The function module's last statement: what it imported is frozen, collection resumes."""
    if gc.isenabled():  # not the process's first function module
        return
    gc.freeze()
    gc.enable()
