"""The interfaces: the command line, the classroom page, animation, network drawing and
progress. They call the packages below and hold no model logic.
"""
