"""Regenerate the page thumbnails shown in the README (needs poppler's pdftoppm).

    .venv/bin/python docs/make_thumbnails.py

Renders the demo study's reports in a temporary folder; the closed report is decrypted in
memory and only the chosen pages' thumbnails are kept.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pikepdf

from dmc_report import cli
from dmc_report.demo.writer import DEMO_PASSWORD

OUT = Path(__file__).parent / "img"
PAGES = {"open": [1, 4, 9, 10], "closed": [3, 4, 7, 8]}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cli.main(["demo", "--out", str(folder)])
        plain = folder / "closed-plain.pdf"
        with pikepdf.open(folder / "closed-report.pdf", password=DEMO_PASSWORD) as pdf:
            pdf.save(plain)
        for kind, pdf_path in (("open", folder / "open-report.pdf"), ("closed", plain)):
            for page in PAGES[kind]:
                prefix = folder / f"{kind}-{page}"
                subprocess.run(
                    ["pdftoppm", "-png", "-r", "40", "-f", str(page), "-l", str(page), "-singlefile", str(pdf_path), str(prefix)],
                    check=True,
                )
                (OUT / f"{kind}-page{page}.png").write_bytes(prefix.with_suffix(".png").read_bytes())
    print("thumbnails written to", OUT)


if __name__ == "__main__":
    main()
