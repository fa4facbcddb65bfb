"""The CLI commands, one module per group; each function takes the parsed arguments."""
