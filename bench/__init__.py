"""The Cruscotto benchmark (issue 6): `python bench/run.py --help`."""
