"""Write THIRD_PARTY_NOTICES.txt for the bundle from the installed packages' metadata.

    .venv/bin/python packaging/make_notices.py build/THIRD_PARTY_NOTICES.txt

Run by `make package` before PyInstaller, so the notices always describe exactly what is bundled.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dmc_report import __version__
from dmc_report.licences import notices_text


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "build/THIRD_PARTY_NOTICES.txt")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(notices_text(__version__), encoding="utf-8")
    print(f"{out}: {out.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
