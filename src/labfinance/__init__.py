"""labfinance: the business case and financing plan of smart safety & security initiatives."""

import os

# The one place the version is written (pyproject.toml reads it): asking importlib.metadata
# instead cost ~60 ms of start-up on every command.
__version__ = "0.1.0"

# The engine's matrices are tall and thin (draws x years): BLAS threads only contend for the cores
# (measured: the IRR search took 4x longer with threads under load). Set before numpy loads; a
# user's own setting wins. Where numpy was loaded first, the engine limits BLAS at run time
# instead (labfinance.engine.threads).
_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
USER_SET_THREADS = any(name in os.environ for name in _THREAD_VARIABLES)
for _threads in _THREAD_VARIABLES:
    os.environ.setdefault(_threads, "1")
