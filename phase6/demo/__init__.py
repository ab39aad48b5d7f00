"""Deterministic demo season in an embedded DuckDB warehouse."""
from phase6.demo.build import build_demo, validate_params
from phase6.demo.params import DemoParams, DemoReport
from phase6.demo.selftest import DemoSelfTestError

__all__ = ["DemoParams", "DemoReport", "DemoSelfTestError", "build_demo", "validate_params"]
