"""The lab's HTTP contract (docs/contract.md) in Python: Flask, served by gunicorn."""
