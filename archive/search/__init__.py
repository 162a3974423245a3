"""Full-text search over pages, with Whoosh (the only package that imports it).

`index` holds the schema, its analyzer and per-page writes; `writer` batches writes from
the catalog (`archive add`, `archive reindex`); `query` turns a query string into hits;
`rewrites` applies the FOIA fields' query rewrites; `collectors` counts totals and facets;
`excerpts` and `matches` show where a query matched.
"""
