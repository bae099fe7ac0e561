"""The report's own figure functions, shown in the app.

The figures are drawn in the background job (matplotlib's Agg, no Qt) and shown as images, so
drawing never stalls the window; the same functions draw the PDF figures.
"""

from __future__ import annotations

import io
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, metadata={"Software": None})
    return buf.getvalue()


def summary_images(open_data: Any, results: Any) -> dict[str, bytes]:
    """PNG images of the summaries' figures (runs in a worker thread: no Qt here)."""
    from dmc_report.report import figures as fg

    d = open_data
    b = d.blinded.payload
    p = d.protocol
    en = b["enrollment"]
    out = {
        "enrollment": _png(
            fg.enrollment_figure(
                en["by_month"],
                p.study.target_enrollment,
                p.study.planned_enrollment_start,
                p.study.planned_enrollment_end,
                d.cutoff,
            )
        ),
        "relapse": _png(
            fg.km_figure(
                [("All subjects", d.relapse.times, d.relapse.events)], "Proportion without relapse"
            )
        ),
        "craving": _png(fg.craving_figure([("All subjects", b["craving"]["by_visit"])])),
    }
    if results.unblinded is not None:  # drawn now, shown only after the user confirms
        m = results.unblinded.payload.get("monitoring")
        if m and m.get("looks"):
            out["monitoring"] = _png(
                fg.boundary_figure(
                    m["looks"], m["observed_z"], m["information_fraction"], m["crossed"]
                )
            )
    return out


def image_label(png: bytes) -> QLabel:
    label = QLabel()
    pix = QPixmap()
    pix.loadFromData(png, "PNG")
    label.setPixmap(pix)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft)
    return label
