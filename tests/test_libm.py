"""The C library's exp, log and power (nicsim/core/libm.py), and outputs that do not depend on
whether numpy computes those functions with its own AVX-512 code."""

import json
import math
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nicsim.core import libm

ROOT = Path(__file__).resolve().parents[1]
# numpy's dispatch targets above x86-64-v3 (the names differ between numpy versions; a name
# numpy does not know is ignored): with these off, numpy calls the C library for float64
# exp, log and power, as on a CPU without AVX-512
NO_AVX512 = "X86_V4 AVX512_ICL AVX512_SPR AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL"


def test_the_c_librarys_functions_element_by_element():
    rng = np.random.default_rng(7)
    x = rng.uniform(1e-9, 3.0, 20_000)
    y = rng.uniform(-4.0, 4.0, 20_000)
    whole = rng.integers(0, 12, 20_000).astype(np.float64)  # learning by doing's exponents
    assert libm.log(x).tolist() == [math.log(v) for v in x.tolist()]
    assert libm.exp(y).tolist() == [math.exp(v) for v in y.tolist()]
    assert libm.power(x, y).tolist() == [
        math.pow(a, b) for a, b in zip(x.tolist(), y.tolist(), strict=True)
    ]
    assert libm.power(0.97, whole).tolist() == [math.pow(0.97, b) for b in whole.tolist()]
    # broadcasting and scalars, as numpy's functions take them
    assert libm.power(np.array([[0.5], [0.25]]), np.array([1.0, 2.0])).tolist() == [
        [0.5, 0.25],
        [0.25, 0.0625],
    ]
    assert float(libm.log(1.0)) == 0.0 and float(libm.exp(0.0)) == 1.0


def test_the_pure_python_form_gives_the_same_numbers():
    """Where numba would vectorise with Intel's SVML, the functions are Python's ``math``
    one element at a time: the same numbers, the same shapes."""
    rng = np.random.default_rng(8)
    x, y = rng.uniform(1e-9, 3.0, (2, 50, 40))
    for f, inputs, compiled in ((math.log, 1, libm.log), (math.exp, 1, libm.exp)):
        assert (libm._from_python(f, inputs)(x) == compiled(x)).all()
    assert (libm._from_python(math.pow, 2)(x, y) == libm.power(x, y)).all()
    assert float(libm._from_python(math.log, 1)(2.0)) == math.log(2.0)


# Each case goes through one of the functions: knowledge held and lost (log), Mason &
# Watts' payoffs (exp), power units with a fractional exponent, learning by doing and
# March's adoption chance (power). Printed as hexadecimal floats: equal means bit for bit.
CHILD = """
import json, math, sys
import numpy as np
from nicsim.lab.config import load_config
from nicsim.march.model import MarchModel
from nicsim.nic.beliefs import PRIOR_VAR, Beliefs
from nicsim.nic.masonwatts import payoffs
from nicsim.nic.model import NICModel
from nicsim.nic.params import Params

def hexed(values):
    return [float(v).hex() for v in values]

out = {}
# one entry learned per holder, so a holder's knowledge is that entry's log(v0 / v) alone
beliefs = Beliefs(2000, 1, 12, 4)
beliefs.var[:, 0] = PRIOR_VAR * np.random.default_rng(5).uniform(0.5, 1.0, 2000)
out["knowledge"] = hexed(beliefs.knowledge(row) for row in range(2000))
m = NICModel(Params(turnover_rate=0.4, steps=24), seed=1).run()
out["turnover"] = hexed(m.datacollector.get_model_vars_dataframe()["knowledge_lost"])
out["learning by doing"] = hexed(m.skill)
for seed in (1, 2):
    out[f"mason_watts {seed}"] = hexed(payoffs(np.random.default_rng(seed)).ravel())
model1 = load_config("configs/model1.toml").params
m = NICModel(model1.replace(outcome_exponent=1.5, steps=24), seed=1).run()
out["power 1.5"] = hexed(m.datacollector.get_model_vars_dataframe()["mean_outcome"])
march = load_config("configs/replications/march_1991/base.toml").params
m = MarchModel(march.replace(max_periods=40), seed=4)
m.run()
out["march"] = [repr(v) for v in m.datacollector.get_model_vars_dataframe().iloc[-1]]
x = np.linspace(0.1, 5.0, 5000)
out["numpy's exp is the C library's"] = bool((np.exp(x) == [math.exp(v) for v in x]).all())
print(json.dumps(out))
"""


def _outputs(environment: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.slow
def test_outputs_do_not_depend_on_numpys_avx512_code():
    """The same runs with numpy's AVX-512 code on and off give the same outputs to the bit.
    numpy's float64 exp, log and power differ from the C library's where it has that code,
    so on a CPU without AVX-512 the two runs are the same by construction: skipped there."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("numpy's AVX-512 code is x86-64's; other CPUs have other SIMD code")
    x = np.linspace(0.1, 5.0, 5000)
    if (np.exp(x) == [math.exp(v) for v in x]).all():
        pytest.skip("numpy uses the C library's exp on this CPU: nothing to compare")
    environment = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
    with_avx512 = _outputs(environment)
    without = _outputs({**environment, "NPY_DISABLE_CPU_FEATURES": NO_AVX512})
    assert not with_avx512.pop("numpy's exp is the C library's")
    assert without.pop("numpy's exp is the C library's"), "numpy's AVX-512 code stayed on"
    assert with_avx512 == without
