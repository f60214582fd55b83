"""labfinance: the business case and financing plan of smart safety & security initiatives."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("labfinance")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
