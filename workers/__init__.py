"""RQ workers for Minqing: `python -m workers` (see workers/__main__.py and deploy/)."""
