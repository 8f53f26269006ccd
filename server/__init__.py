"""Serving the checked graph: the embedded pyoxigraph store (the SPARQL endpoint comes next)."""
