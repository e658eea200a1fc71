"""Confidentiality and privacy pre-scan (保密与隐私预检).

The core (`engine`, `detectors`, `text`, `extract`, `masking`) is plain Python with no
Django import, so it can be tested and benchmarked on its own; the Django side of the
app stores findings per content fingerprint and wires them into the 保密审查 step.
"""
