"""Typed errors the library raises; only the CLI turns them into messages.

Imports nothing from diffcli: every other module may import this one."""


class DiffcliError(Exception):
    """A problem with the user's program or input, with where it stands."""

    kind = "Error"  # the type name used in JSON records

    def __init__(self, message, line=None, column=None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __reduce__(self):  # keep the position across processes (--jobs)
        return (type(self), (self.message, self.line, self.column))

    def locate(self, line, column):
        """Fill in a position the raiser did not know; keep one it did."""
        if self.column is None:
            self.line, self.column = line, column
        return self


class ParseError(DiffcliError):
    kind = "ParseError"


class DiffcliNameError(DiffcliError):
    kind = "NameError"


class ShapeError(DiffcliError):
    kind = "ShapeError"


class DiffcliValueError(DiffcliError):
    kind = "ValueError"


class LimitError(DiffcliError):
    kind = "LimitError"
