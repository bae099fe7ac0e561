"""Generate the Windows .ico and macOS .icns (and PNG sizes for Linux) from the source SVG.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py

The SVG in resources/icons/ is the source; the generated files are committed beside it so that a
build needs neither Qt's SVG renderer nor this script. Qt renders the SVG (PySide6.QtSvg, already
a dependency); Pillow (already installed with matplotlib) writes the .ico and .icns containers.
Re-run it whenever the SVG changes; the test suite checks that the files are there and complete.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SVG = ICONS / "dmc-report.svg"
ICO_SIZES = [16, 20, 24, 32, 40, 48, 64, 128, 256]
ICNS_SIZES = [16, 32, 64, 128, 256, 512, 1024]
PNG_SIZES = [16, 32, 48, 64, 128, 256, 512]


def render(renderer: QSvgRenderer, size: int) -> Image.Image:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    return Image.open(io.BytesIO(bytes(data.data()))).convert("RGBA")


def main() -> None:
    QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG}: not a valid SVG")
    images = {s: render(renderer, s) for s in sorted({*ICO_SIZES, *ICNS_SIZES, *PNG_SIZES})}
    # each size drawn from the vector source (not downscaled from one bitmap)
    largest = images[max(ICO_SIZES)]
    largest.save(
        ICONS / "dmc-report.ico",
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != max(ICO_SIZES)],
    )
    images[1024].save(
        ICONS / "dmc-report.icns",
        format="ICNS",
        append_images=[images[s] for s in ICNS_SIZES if s != 1024],
    )
    for s in PNG_SIZES:
        images[s].save(ICONS / f"dmc-report-{s}.png", format="PNG", optimize=True)
    print("written:", ", ".join(sorted(p.name for p in ICONS.iterdir() if p.suffix != ".svg")))


if __name__ == "__main__":
    main()
