"""Ingest: the supervisor of `archive add`, from the inputs given to pages in the catalog and index.

`pipeline` reads top to bottom: `inputs` collects files (folders, zips) and keeps the
originals under scans/, `sniff` says what each file really is, the `read` workers read
them, `children` stores the files found inside documents, `progress` reports, `locking`
keeps one writer at a time.
"""
