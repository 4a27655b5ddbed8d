"""Models into experiments: configs and plans with their seeds, evaluators (serial, local
processes, Dask), the crash-proof result store, sensitivity analysis and the model registry.

It imports the models and ``nicsim.core``; never the analysis or the interfaces.
"""
