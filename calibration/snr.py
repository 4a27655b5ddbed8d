"""A novice's single-test signal-to-noise ratio at step 0, and the noise that makes it 1.

    python calibration/snr.py [--seeds 200] [--set KEY=VALUE ...]

Builds the model's own landscapes and starting practices for seeds 1..S (default
parameters, or changed with ``--set`` as on the command line), takes the true gain, in
outcome units, of every one-component change from every district's starting practice,
and reports their sd and mean |gain| over a novice's noise sd (``nicsim.nic.calibration``;
the definition is in docs/ODD.md, "Outcome units and measurement").
"""

from __future__ import annotations

import argparse

from nicsim.lab.config import from_dict, parse_overrides
from nicsim.nic.agents import noise_sd
from nicsim.nic.calibration import novice_snr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    p = from_dict(parse_overrides(args.set))
    r = novice_snr(p, range(1, args.seeds + 1))
    novice = float(noise_sd(p, p.novice_skill)) / p.measurement_noise if p.measurement_noise else 0
    print(f"{r.gains} one-flip gains at step 0 ({args.seeds} seeds, {p.outcome_units} units)")
    print(f"  sd of true gains      {r.gain_sd:.4g}")
    print(f"  mean |true gain|      {r.mean_abs_gain:.4g}")
    print(
        f"  novice noise sd       {r.noise_sd:.4g}  (measurement_noise = {p.measurement_noise:g})"
    )
    print(f"  SNR = sd / noise sd   {r.snr:.3f}")
    print(f"  mean |gain| / noise   {r.snr_abs:.3f}")
    if novice:
        for target in (0.5, 1.0, 2.0):
            need = r.gain_sd / (target * novice)
            print(f"  measurement_noise for SNR {target:g}: {need:.4g}")


if __name__ == "__main__":
    main()
