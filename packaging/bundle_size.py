"""Print a bundle's size on disk and as a compressed download (zip, deflate level 6).

.venv/bin/python packaging/bundle_size.py dist/dmc-report
"""

from __future__ import annotations

import sys
import tempfile
import zipfile
from pathlib import Path

GOAL_MB = 250


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "dist/dmc-report")
    if not root.is_dir():  # a build that made nothing must not pass as a 0 MB bundle
        raise SystemExit(f"bundle_size: {root} is not a folder (did the build fail?)")
    files = [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]
    if not files:
        raise SystemExit(f"bundle_size: {root} holds no file (did the build fail?)")
    on_disk = sum(p.stat().st_size for p in files)
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "bundle.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for p in files:
                zf.write(p, p.relative_to(root.parent))
        zipped = archive.stat().st_size
    mb = 1_000_000
    print(
        f"bundle {root}: {len(files)} files, {on_disk / mb:.0f} MB on disk (goal < {GOAL_MB} MB: "
        f"{'met' if on_disk < GOAL_MB * mb else 'not met'}), {zipped / mb:.0f} MB zipped"
    )


if __name__ == "__main__":
    main()
