"""The local stack: the whole service on one machine, with moto standing in for AWS."""

import sys
from pathlib import Path

# The Lambda runtime finds the layer's package on /opt/python; here the layer's source folder
# plays that part, so `python -m devstack` runs the service without installing it.
_LAYER_SOURCE = str(Path(__file__).resolve().parents[1] / "layers")
if _LAYER_SOURCE not in sys.path:
    sys.path.append(_LAYER_SOURCE)
