"""Demo data for Bottega: a believable Italian chain, its customers and their noisy channel records.

Everything here is plain Python and deterministic for a seed, so benchmarks can write channel files
without a database (``people``, ``history``, ``channel_files``); ``database`` saves the same objects
through the ORM for ``manage.py seed_demo``.
"""
