"""Extract Barkoczi & Galesic's (2016) networks and committed results into small CSV tables.

Run once, by hand, against a clone of https://github.com/dnlbrkc/social_learning (a work
tree or a bare git directory; its HEAD is read). It needs the ``rdata`` package, which
nicsim itself does not: ``python -m pip install rdata``. What it writes is committed, so
nicsim's configs and docs never need R data:

- ``networks/<name>.csv``: each of their ten 100-agent networks as their edge list, one
  row per (agent, contact) pair of theirs: their code lets agent ``source`` sample
  ``target`` (``contacts[contacts[,1] == x, 2]``). ``design = "file"`` with
  ``directed_graph = true`` reads it so. Nine networks list every tie both ways; their
  lattice lists each agent's 19 successors only (docs/VALIDATION.md section 4);
- ``theirs_nk.csv``: N = 15, K = 7, every network: mean (and sd) over their replications
  of mean performance and of unique positions, per strategy and round;
- ``theirs_nk_k.csv``: the fully connected network for K = 0 to 14, the same columns;
- ``theirs_mw.csv``: the Mason & Watts landscape, every network, mean performance of best
  member and conformity (sample 3);
- ``theirs_final.csv``: the spread over their replications (one landscape each) of mean
  performance at round 199 (their row 200), one row per folder of theirs (``results``),
  network, K and strategy: n, mean, sd and the quantiles 0, 5, 10, 25, 50, 75, 90, 95 and
  100% (``q0`` ... ``q100``; numpy's default, R's ``quantile`` type 7, as their boxplot's
  ``geom_boxplot`` computes them). ``k`` is empty for the Mason & Watts landscape.

Rounds are 0 (the random start, their row 1) to 199; the tables keep rounds 0-10 and every
fifth round after, enough to draw the curves.

    python validation/barkoczi_galesic_2016/extract.py /path/to/social_learning
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import rdata

HERE = Path(__file__).resolve().parent
NETWORKS = (
    "fully-connected",
    "lattice",
    "max-max-betweenness",
    "max-max-closeness",
    "max-mean-betweenness",
    "max-mean-clustering",
    "max-var-constraint",
    "min-max-closeness",
    "min-mean-betweenness",
    "min-mean-clustering",
)
# their strategy columns 1-6 (simulation_NK.R): sample sizes 3, 9, 3, 9, 1 and none
STRATEGIES = ("best3", "best9", "conf3", "conf9", "random", "individual")
ROUNDS = np.r_[0:11, 15:200:5, 199]
FINAL = 199  # their row 200
QUANTILES = (0, 5, 10, 25, 50, 75, 90, 95, 100)  # percent; columns q0 ... q100


class Repo:
    """Blobs of one git repository's HEAD, read through one ``git cat-file --batch``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.proc = subprocess.Popen(
            ["git", "-C", path, "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def names(self, folder: str) -> list[str]:
        out = subprocess.run(
            ["git", "-C", self.path, "ls-tree", "--name-only", "HEAD", folder + "/"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return out.split()

    def read(self, name: str) -> bytes:
        self.proc.stdin.write(f"HEAD:{name}\n".encode())
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().split()
        size = int(header[2])
        data = self.proc.stdout.read(size)
        self.proc.stdout.read(1)  # the newline after each blob
        return data


def rda(data: bytes) -> dict:
    return rdata.read_rda(io.BytesIO(data))


def networks(repo: Repo) -> None:
    out = HERE / "networks"
    out.mkdir(exist_ok=True)
    for name in NETWORKS:
        edges = np.asarray(rda(repo.read(f"networks/{name}.Rdata"))["network"]).astype(int)
        pairs = sorted({(a, b) for a, b in edges.tolist()})  # who samples whom, as theirs
        table = pd.DataFrame(pairs, columns=["source", "target"])
        table["source_kind"] = table["target_kind"] = "district"
        table.to_csv(out / f"{name}.csv", index=False)


def read_results(repo: Repo, files: list[str]) -> dict[int, np.ndarray]:
    """Each ``res`` matrix of ``files`` (one replication each), stacked per list element:
    (replications, rounds, columns)."""
    stacks: dict[int, list[np.ndarray]] = {}
    for name in files:
        res = rda(repo.read(name))["res"]
        for i, matrix in enumerate(res):
            stacks.setdefault(i, []).append(np.asarray(matrix, dtype=float))
    return {i: np.stack(mats) for i, mats in stacks.items()}


def summarise(stacks: dict[int, np.ndarray], labels: dict) -> pd.DataFrame:
    """Mean and sd over replications per metric, column and round."""
    rows = []
    for i, full in stacks.items():
        a = full[:, ROUNDS]  # (replications, rounds, columns)
        metric, columns = labels[i]
        for j, col in enumerate(columns):
            for r, step in enumerate(ROUNDS.tolist()):
                v = a[:, r, j]
                rows.append(
                    {
                        "metric": metric,
                        "strategy": col,
                        "step": step,
                        "mean": round(float(v.mean()), 6),
                        "sd": round(float(v.std(ddof=1)), 6),
                        "n": v.size,
                    }
                )
    return pd.DataFrame(rows)


def spread(stacks: dict[int, np.ndarray], columns: tuple[str, ...], **cell) -> pd.DataFrame:
    """Mean performance at round 199 over replications, per strategy: n, mean, sd and the
    quantiles of ``QUANTILES``; ``cell`` (results folder, network, K) is added to each row."""
    rows = []
    for j, col in enumerate(columns):
        v = stacks[0][:, FINAL, j]
        q = np.percentile(v, QUANTILES)
        rows.append(
            {
                **cell,
                "strategy": col,
                "step": FINAL,
                "n": v.size,
                "mean": round(float(v.mean()), 6),
                "sd": round(float(v.std(ddof=1)), 6),
                **{f"q{p}": round(float(x), 6) for p, x in zip(QUANTILES, q, strict=True)},
            }
        )
    return pd.DataFrame(rows)


def main(path: str) -> None:
    repo = Repo(path)
    networks(repo)
    nk_labels = {0: ("mean_outcome", STRATEGIES), 1: ("unique_practices", STRATEGIES)}
    parts, finals = [], []
    every = repo.names("results/results_NK")
    for name in NETWORKS:
        files = [f for f in every if re.search(rf"/Results{name}\.Rdata15_7\d+\.Rdata$", f)]
        stacks = read_results(repo, files)
        parts.append(summarise(stacks, nk_labels).assign(network=name, k=7))
        cell = {"results": "results_NK", "landscape": "nk", "network": name, "k": 7}
        finals.append(spread(stacks, STRATEGIES, **cell))
        print(name, len(files), flush=True)
    pd.concat(parts).to_csv(HERE / "theirs_nk.csv", index=False)

    parts, by_k = [], []
    for folder in repo.names("results/results_NK_k=0-14"):
        k = int(folder.rsplit("/", 1)[1][1:])
        files = [f for f in repo.names(folder) if f.endswith(".Rdata")]
        stacks = read_results(repo, files)
        parts.append(summarise(stacks, nk_labels).assign(network="fully-connected", k=k))
        cell = {"results": "results_NK_k=0-14", "landscape": "nk"}
        by_k.append(spread(stacks, STRATEGIES, **cell, network="fully-connected", k=k))
        print(folder, len(files), flush=True)
    pd.concat(parts).sort_values(["k", "metric", "strategy", "step"]).to_csv(
        HERE / "theirs_nk_k.csv", index=False
    )
    finals.append(pd.concat(by_k).sort_values("k", kind="stable"))  # folders sort as text

    parts = []
    every = repo.names("results/results_MW")
    for name in NETWORKS:
        files = [f for f in every if re.search(rf"/Results{name}\.Rdata\d+\.Rdata$", f)]
        stacks = read_results(repo, files)
        labels = {0: ("mean_outcome", ("best3", "conf3"))}
        parts.append(summarise(stacks, labels).assign(network=name))
        cell = {"results": "results_MW", "landscape": "mason_watts", "network": name, "k": None}
        finals.append(spread(stacks, labels[0][1], **cell))
        print(name, len(files), flush=True)
    pd.concat(parts).to_csv(HERE / "theirs_mw.csv", index=False)
    final = pd.concat(finals, ignore_index=True)
    final["k"] = final["k"].astype("Int64")  # empty for Mason & Watts, not 7.0
    final.to_csv(HERE / "theirs_final.csv", index=False)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "social_learning")
