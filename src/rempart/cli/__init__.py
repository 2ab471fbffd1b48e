"""The ``rempart`` command: one module per command group, thin (parse, call, render)."""
