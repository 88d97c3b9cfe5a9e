"""Path converters shared by every app's URLs."""


class IdConverter:
    """A database id: 1 to 18 ASCII digits, so that it always fits a 64-bit integer.

    Django's `int` converter takes any run of digits; an id past 2^63 then overflows in
    the database (a 500 on SQLite) instead of being simply not found (a 404)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)
