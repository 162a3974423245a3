"""Reading files: what runs inside a worker process (PyMuPDF in `extract`, tesseract in `ocr`).

Workers only read: they return pages (text, word boxes, confidence, FOIA annotations) and
never write the catalog or the index.
"""
