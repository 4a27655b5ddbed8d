"""Results into answers: paired comparisons with confidence intervals, reports, figures
and the replications' summaries. It reads what ``nicsim.lab`` stored.
"""
