"""A searchable archive of FOIA productions: OCR, page-level full-text search, a reading room."""

from __future__ import annotations

from archive.config import Settings, load_settings

__version__ = "0.1.0"

__all__ = ["Settings", "__version__", "load_settings"]
