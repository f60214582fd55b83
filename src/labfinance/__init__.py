"""labfinance: the business case and financing plan of smart safety & security initiatives."""

import os
from importlib.metadata import PackageNotFoundError, version

# The engine's matrices are tall and thin (draws x years): BLAS threads only contend for the cores
# (measured: the IRR search took 4x longer with threads under load). Set before numpy loads; a
# user's own setting wins.
for _threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")

try:
    __version__ = version("labfinance")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
