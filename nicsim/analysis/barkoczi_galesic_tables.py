"""Barkoczi & Galesic (2016): where their committed results live, how they name
strategies, networks and rounds, and nicsim's sweeps renamed to match, for the docking
report (:mod:`.barkoczi_galesic`) and its comparison of spreads
(:mod:`.barkoczi_galesic_spread`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

BG_SWEEPS = (
    "nk_social",
    "nk_random",
    "nk_individual",
    "k_social",
    "k_random",
    "k_individual",
    "mw_social",
)
BG_STEPS = (0, 1, 5, 10, 25, 50, 100, 150, 199)
BG_PUBLISHED = Path(__file__).resolve().parents[2] / "validation" / "barkoczi_galesic_2016"
BG_STRATEGIES = {
    "best3": "best member, sample 3",
    "best9": "best member, sample 9",
    "conf3": "conformity, sample 3",
    "conf9": "conformity, sample 9",
    "random": "random copying",
    "individual": "individual learning",
}
BG_FINAL = 199  # their last round (row 200 of their tables); a shorter run reports its last


def bg_tidy(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A sweep's rows named as Barkoczi & Galesic name them: strategy, network and K."""
    frame = frame.copy()
    if name.endswith("_random") or name.endswith("_individual"):
        frame["strategy"] = name.split("_", 1)[1]
    else:
        prefix = frame["learning"].map({"copy_best": "best", "conformity": "conf"})
        frame["strategy"] = prefix + frame["sample_size"].astype(int).astype(str)
    frame["network"] = frame.get("graph_file", "fully-connected")
    if "k" not in frame:
        frame["k"] = 7
    return frame
