"""The route floor loaded as our functions load themselves: the garbage collector deferred
until the module is in (tenx_email/startup.py). Printed beside the plain floor, so what the
deferral saves shows apart from what our own code weighs; the targets use the plain floor."""

from tenx_email.startup import module_loaded

import devstack.bench.floor_route  # noqa: F401  # the floor itself, loaded with the deferral

module_loaded()
