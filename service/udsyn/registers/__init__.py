"""Partnership registers: reading them (CSV, XLSX, Turtle, JSON-LD) and checking them."""

from udsyn.registers.check import check_registers, check_whole_graph
from udsyn.registers.findings import CheckReport, Finding
from udsyn.registers.reading import RegisterError

__all__ = ["CheckReport", "Finding", "RegisterError", "check_registers", "check_whole_graph"]
