import sys
from pathlib import Path

# The binding is a single module next to this directory; the repository root holds the fixtures.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
