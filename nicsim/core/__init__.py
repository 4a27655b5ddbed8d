"""What every model shares: typed parameter fields and generic reporters.

The bottom room: it imports nothing else of nicsim.
"""
