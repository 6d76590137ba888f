"""End-to-end jobs: ingest files into a workspace, assess it, write its reports, build the demo.

Workflows are the one place that loads from the store, calls the pillars and saves results.
"""
