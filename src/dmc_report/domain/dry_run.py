"""A dry run's allocation: arms drawn at random, never the key's (issue 19).

Before the first real look, or to show the sponsor the closed report's shape, the closed report
is built from a scrambled allocation: permuted blocks within each site, in order of
randomization, over the key's arm list (the ARMS sheet; its RAND sheet is never read). The
numbers by arm are then as meaningless as they must be, and the arm sizes are what a
site-stratified block randomization gives. The seed is printed on the report, so a dry run can
be made again.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

DRY_RUN_MARK = "DRY RUN - ARMS SCRAMBLED - NOT REAL RESULTS"
DRY_RUN_BLOCK = 2  # copies of each arm in a block: blocks of 2 x the number of arms


def scrambled_allocation(subjects: pd.DataFrame, arms: Sequence[str], seed: int) -> pd.DataFrame:
    """``subjects`` (SUBJID, SITEID, RANDDT) assigned to ``arms`` by permuted blocks within each
    site, in order of RANDDT then SUBJID; the same seed gives the same allocation. Returns
    SUBJID and ARMCD."""
    if not len(arms):
        raise ValueError("a dry run needs the key's arms")
    block = [a for a in arms for _ in range(DRY_RUN_BLOCK)]
    frame = subjects[["SUBJID", "SITEID", "RANDDT"]].copy()
    frame["SITEID"] = frame["SITEID"].astype(str)
    frame = frame.sort_values(["SITEID", "RANDDT", "SUBJID"], kind="stable")
    out: list[tuple[str, str]] = []
    for site, rows in frame.groupby("SITEID", sort=True):
        rng = np.random.default_rng((seed, zlib.crc32(str(site).encode("utf-8"))))
        drawn: list[str] = []
        while len(drawn) < len(rows):
            drawn += [block[i] for i in rng.permutation(len(block))]
        out += [(str(s), a) for s, a in zip(rows["SUBJID"], drawn, strict=False)]
    return pd.DataFrame(out, columns=["SUBJID", "ARMCD"], dtype=object)
