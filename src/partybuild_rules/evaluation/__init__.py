"""Evaluation: facts derived from a dataset, packs compiled to engine-neutral programs, engines, the evaluator."""
