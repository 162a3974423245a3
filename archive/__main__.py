"""`python -m archive` runs the command line interface."""

from archive.cli import main

if __name__ == "__main__":
    main()
