"""The NIC model: parameters, landscape, ideas, agents, learning rules, networks, model,
metrics (Mesa's split: ``agents`` holds behaviour, ``model`` the environment and data).

It imports only ``nicsim.core``; nothing here knows of experiments, files or pages.
"""
