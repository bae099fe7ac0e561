"""Reading inputs: protocol TOML and the data and key workbooks (plain or Office-encrypted)."""
