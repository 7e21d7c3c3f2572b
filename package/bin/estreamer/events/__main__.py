"""``python -m estreamer.events [DIR]``: render the lookup tables as the shipped CSV files
(default ``package/lookups``), so the CSVs never drift from what the mappers apply."""
import sys

from .tables import LOOKUPS, write_csvs

directory = sys.argv[1] if len(sys.argv) > 1 else "package/lookups"
write_csvs(directory)
print(f"{len(LOOKUPS)} lookup tables written to {directory}")
