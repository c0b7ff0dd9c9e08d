"""``make bench``: run every benchmark module at full size, one after another.

Each module prints its own JSON lines; none of them is a pass/fail test.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
    failed = 0
    for name in names:
        print(f"# benchmarks.{name}", file=sys.stderr, flush=True)
        failed += subprocess.call([sys.executable, "-m", f"benchmarks.{name}", *sys.argv[1:]]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
