"""An ORM object as the row the history's bulk writer inserts."""

import sqlalchemy as sa


def row_of(obj, **columns) -> dict:
    """The columns `obj` was given (by the real constructors), named as the table names
    them, with `columns` on top. Columns never given are left to their defaults."""
    mapper = sa.inspect(type(obj))
    given = obj.__dict__
    row = {
        prop.columns[0].name: given[prop.key] for prop in mapper.column_attrs if prop.key in given
    }
    row.update(columns)
    return row
