"""The domain: units, members, grids and events; periods; money; outcomes; errors and their messages."""
