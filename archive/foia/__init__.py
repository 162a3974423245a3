"""FOIA-native detectors and helpers: exemptions, Bates numbers, printed email headers,
redaction boxes, record dates, near-duplicate pages, release metadata.

The detectors are pure functions of a page's text, word boxes or image, so `archive
reindex` can re-run better ones without OCR.
"""
