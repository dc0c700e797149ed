"""ilrs_auto: autonomy for the robots of the International Lunar Research Station."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ilrs_auto")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
