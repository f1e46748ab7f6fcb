"""Library code behind the top-level scripts (runner, benchmark, plots, tools).

The data flows one way: benchmark files -> ``hpob_handler`` -> ``methods`` ->
results JSON (``hpogen.results``) -> plots. Scripts at the repository root only
parse arguments and call into this package.
"""
