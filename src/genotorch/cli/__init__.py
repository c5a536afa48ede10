"""Command-line interface (typer): parses flags and calls library functions, nothing else."""
