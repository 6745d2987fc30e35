"""Performance benchmarks (`python -m bench`) and a load test (`python -m bench.load`).

Measurements only, no assertions: each figure is printed beside its target and, where it means something,
beside the plain LangChain baseline measured in the same run. Results go to bench/results.json (git-ignored).
"""
