"""pylabs: the Python side of LLM Inference Labs.

The `lab` launcher (labs/lab) and the vendor-script harness (scripts/vendor/vendor_harness.py)
both stand on this package. Standard library only; plots.py imports matplotlib lazily.
"""
