"""FOIA-native detectors: exemptions, Bates numbers, printed email headers, redaction boxes,
record dates, near-duplicate signatures (`annotate` runs the text ones on a page).

The detectors are pure functions of a page's text, word boxes or image: no catalog, no
index, no locks (storing what they find is the catalog's and the writer's job), so
`archive reindex` can re-run better ones without OCR.
"""
