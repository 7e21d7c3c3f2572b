"""Benchmarks (``make bench``): figures printed as ``bench: NAME VALUE UNIT`` and saved to bench.json.

Machines here are shared and noisy, so every figure is the best of a few rounds and the headline
numbers are ratios against a ceiling measured in the same run on the same bytes.
"""
