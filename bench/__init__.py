"""Benchmarks: printed figures compared with the seed stations' measured values. Not pass/fail tests."""
