"""Recent studies (issue 17): each remembers its protocol, data and key workbooks, data cutoff and
output folder, so that opening it again fills every field. Paths and the cutoff only: never a
password. Kept in the app's QSettings (see the README for where) as one JSON list."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings

if TYPE_CHECKING:
    from dmc_report.gui.main_window import MainWindow

KEY = "studies"
MAX_STUDIES = 8
FIELDS = ("data", "key", "cutoff", "output")  # besides "protocol"; "" for none


class StudyMemory:
    """The recent studies, most recent first: dicts of "protocol" and :data:`FIELDS`."""

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    def studies(self) -> list[dict[str, str]]:
        raw = self.settings.value(KEY, "")
        try:
            value = json.loads(str(raw)) if raw else self._from_old_list()
        except ValueError:
            return []
        if not isinstance(value, list):
            return []
        return [
            {k: str(s.get(k) or "") for k in ("protocol", *FIELDS)}
            for s in value
            if isinstance(s, dict) and s.get("protocol")
        ]

    def _from_old_list(self) -> list[dict[str, str]]:
        """The protocols remembered before the other paths were (the setting "recent")."""
        old = self.settings.value("recent", [])
        old = [old] if isinstance(old, str) else old if isinstance(old, list) else []
        return [{"protocol": str(p)} for p in old]

    def recall(self, protocol: Path) -> dict[str, str] | None:
        return next((s for s in self.studies() if s["protocol"] == str(protocol)), None)

    def remember(self, protocol: Path, **fields: str) -> None:
        """``protocol`` first in the list, with ``fields`` changed (the others kept)."""
        unknown = set(fields) - set(FIELDS)
        if unknown or "password" in " ".join(fields):
            raise ValueError(f"not remembered: {sorted(unknown)}")
        entry = self.recall(protocol) or {"protocol": str(protocol)}
        entry = {**dict.fromkeys(FIELDS, ""), **entry, **fields}
        rest = [s for s in self.studies() if s["protocol"] != str(protocol)]
        self.settings.setValue(KEY, json.dumps([entry, *rest][:MAX_STUDIES]))


class RecentStudies(QObject):
    """The File menu's recent studies, and the window's fields filled from the one opened."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.memory = StudyMemory(window.settings)
        c = window.controller
        c.protocol_read.connect(self._protocol_read)
        c.analysed.connect(self._analysed)
        c.reports_written.connect(self._written)
        self._current: Path | None = None  # the protocol whose fields are shown
        self.refresh()

    def refresh(self) -> None:
        menu = self.window.recent_menu
        menu.clear()
        studies = [s for s in self.memory.studies() if Path(s["protocol"]).is_file()]
        for s in studies:
            act = menu.addAction(s["protocol"])
            act.setToolTip("\n".join(f"{k}: {s[k]}" for k in ("protocol", *FIELDS) if s[k]))
            act.triggered.connect(
                lambda _=False, p=s["protocol"]: self.window.controller.set_protocol(Path(p))
            )
        menu.setEnabled(bool(studies))

    def _protocol_read(self, path: Path, _protocol: Any) -> None:
        """A protocol opened (from the menu, a file dialog, a drop): its study's last paths."""
        entry = self.memory.recall(path)
        if entry is not None and path != self._current:  # (read again: its fields are shown)
            self.restore(entry)
        self._current = path
        self.memory.remember(path)
        self.refresh()

    def restore(self, entry: dict[str, str]) -> None:
        w = self.window
        page = w.data_page
        for which, edit in (("data", page.data_edit), ("key", page.key_edit)):
            if (entry["data"] or entry[which]) and edit.text() != entry[which]:
                edit.setText(entry[which])
                w.controller.set_password(which, None)  # another workbook: its password asked
        if entry["cutoff"]:
            page.cutoff_default.setChecked(False)
            page.cutoff_edit.set_date(dt.date.fromisoformat(entry["cutoff"]))
        elif entry["data"]:
            page.cutoff_default.setChecked(True)
        if entry["output"]:
            w.reports_page.out_dir.setText(entry["output"])

    def _analysed(self) -> None:
        w = self.window
        s = w.controller.session
        if s.protocol is None or s.data is None:
            return
        page = w.data_page
        typed = None if page.cutoff_default.isChecked() else page.cutoff_edit.date()
        self.memory.remember(
            s.protocol,
            data=str(s.data),
            key=str(s.key) if s.key else "",
            cutoff=typed.isoformat() if typed else "",
        )
        self.refresh()

    def _written(self, written: Any) -> None:
        s = self.window.controller.session
        if s.protocol is not None:
            self.memory.remember(s.protocol, output=str(Path(written.open).parent))
