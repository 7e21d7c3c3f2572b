"""The declarative tables: block layouts (series 1 and 2) and the record catalog."""
from .records import FAMILIES, RECORDS, RecordType  # noqa: F401
